/**
 * The DeviceScript `ByteKit`: the firmware's side of the protocol/bytes.ts seam.
 * DeviceScript's Buffer is a global with native alloc, slice (a copy), UTF-8
 * conversion and blitAt; the shared codec only ever sees it as a ByteArray.
 */
import type { ByteArray, ByteKit } from "@fieldlink/protocol/bytes"

function asBuffer(bytes: ByteArray): Buffer {
    // Codec output and socket input are Buffers already; plain number arrays (tests) are copied
    if (bytes instanceof Buffer) return bytes
    return Buffer.from(bytes as number[])
}

/** `copy` is Buffer.blitAt: native, so a large payload costs one VM instruction. */
export const dsBytes: ByteKit = {
    alloc: (size: number) => Buffer.alloc(size),
    slice: (bytes: ByteArray, start: number, end: number) => asBuffer(bytes).slice(start, end),
    encodeUtf8: (text: string) => Buffer.from(text),
    decodeUtf8: (bytes: ByteArray, start: number, end: number) =>
        asBuffer(bytes).slice(start, end).toString("utf-8"),
    copy: (src: ByteArray, srcStart: number, dst: ByteArray, dstStart: number, length: number) => {
        const target = dst as Buffer
        target.blitAt(dstStart, asBuffer(src), srcStart, length)
    },
}

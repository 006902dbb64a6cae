import type { ByteArray, ByteKit } from "@fieldlink/protocol/bytes"

function asBuffer(bytes: ByteArray): Buffer {
    if (Buffer.isBuffer(bytes)) return bytes
    if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return Buffer.from(Array.prototype.slice.call(bytes) as number[])
}

/** The Node.js `ByteKit`: Buffers all the way, slices are views (never mutated). */
export const nodeBytes: ByteKit = {
    alloc: size => Buffer.alloc(size),
    slice: (bytes, start, end) => asBuffer(bytes).subarray(start, end),
    encodeUtf8: text => Buffer.from(text, "utf8"),
    decodeUtf8: (bytes, start, end) => asBuffer(bytes).toString("utf8", start, end),
    copy: (src, srcStart, dst, dstStart, length) => {
        if (dst instanceof Uint8Array) {
            asBuffer(src).copy(dst, dstStart, srcStart, srcStart + length)
            return
        }
        for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]
    },
}

/** A Node Buffer over any ByteArray the codec produced (no copy for Buffers). */
export function toBuffer(bytes: ByteArray): Buffer {
    return asBuffer(bytes)
}

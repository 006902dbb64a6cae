/**
 * Bulk byte copies, natively when the ByteKit can.
 *
 * DeviceScript runs at most 128 Ki VM instructions between two awaits, then panics
 * ("InfiniteLoop", DEVS_MAX_STEPS); a JS copy loop there spends ~16 instructions a byte,
 * so copying a 8 KB payload byte by byte kills the firmware. A kit that offers `copy`
 * (the DeviceScript kit does, with Buffer.blitAt) moves bytes natively; otherwise we
 * loop, which is fine on Node. `copy` is an optional extension of protocol/bytes.ts's
 * ByteKit, kept here until the seam itself grows one.
 */
import type { ByteArray, ByteKit } from "../bytes"

export interface ByteCopier {
    /** Copies src[srcStart, srcStart + length) to dst[dstStart, …); the ranges never overlap. */
    copy?: (src: ByteArray, srcStart: number, dst: ByteArray, dstStart: number, length: number) => void
}

export function copyBytes(kit: ByteKit, src: ByteArray, srcStart: number, dst: ByteArray, dstStart: number, length: number) {
    const native = (kit as ByteKit & ByteCopier).copy
    if (native !== undefined && native !== null) {
        native(src, srcStart, dst, dstStart, length)
        return
    }
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]
}

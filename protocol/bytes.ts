/**
 * The byte seam between the shared protocol code and the two runtimes it runs on.
 *
 * The codec is compiled twice: by DeviceScript for the firmware and by TypeScript for
 * Node. The two `Buffer` types differ (DeviceScript has no Uint8Array, no DataView, no
 * writeUInt16BE, and its `slice` copies), so protocol code never names either of them.
 * It reads and writes plain indexable byte arrays, and asks a `ByteKit` for the few
 * things that must be native to be fast: allocation, slicing and UTF-8 conversion.
 */

/** Anything indexable as bytes: a Node Buffer/Uint8Array or a DeviceScript Buffer. */
export interface ByteArray {
    readonly length: number
    [index: number]: number
}

/** Runtime services the pure protocol code needs. One implementation per runtime. */
export interface ByteKit {
    /** A zero-filled, writable array of `size` bytes. */
    alloc(size: number): ByteArray
    /** Bytes `start` (inclusive) to `end` (exclusive). May copy or share; callers never mutate it. */
    slice(bytes: ByteArray, start: number, end: number): ByteArray
    /** The UTF-8 encoding of `text`. */
    encodeUtf8(text: string): ByteArray
    /** Decodes bytes the caller has already validated as well-formed UTF-8. */
    decodeUtf8(bytes: ByteArray, start: number, end: number): string
    /**
     * Copies src[srcStart, srcStart + length) to dst[dstStart, …); the ranges never
     * overlap. Native on purpose: DeviceScript runs at most 128 Ki VM instructions
     * between two awaits, then panics ("InfiniteLoop"), and a JS byte loop spends about
     * 16 a byte, so copying an 8 KB payload byte by byte would kill the firmware.
     */
    copy(src: ByteArray, srcStart: number, dst: ByteArray, dstStart: number, length: number): void
}

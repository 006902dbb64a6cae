/**
 * The Remaining Length field, §2.2.3: a variable byte integer of 1 to 4 bytes, 7 bits
 * per byte, least significant group first, bit 7 set on every byte but the last.
 * (Decoding is incremental and lives in the parser.)
 */
import type { ByteArray } from "../bytes.js"
import { MAX_REMAINING_LENGTH } from "./packets.js"

/** Bytes needed to encode `length` (0..268,435,455), §2.2.3 Table 2.4. */
export function remainingLengthSize(length: number): number {
    if (!(length >= 0 && length <= MAX_REMAINING_LENGTH && Math.floor(length) === length))
        throw new Error(
            `mqtt: remaining length must be an integer from 0 to ${MAX_REMAINING_LENGTH}, got ${length}`,
        )
    if (length < 128) return 1
    if (length < 16384) return 2
    if (length < 2097152) return 3
    return 4
}

/** Writes `length` at `offset`; returns the offset after it. */
export function writeRemainingLength(out: ByteArray, offset: number, length: number): number {
    let v = length
    let pos = offset
    const size = remainingLengthSize(length)
    for (let k = 0; k < size; k++) {
        const digit = v % 128
        v = Math.floor(v / 128)
        out[pos++] = k < size - 1 ? digit | 0x80 : digit
    }
    return pos
}

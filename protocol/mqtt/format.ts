/**
 * Message formatting shared by the codec. Written by hand because DeviceScript's
 * numbers have no toString(radix) and the messages must read the same on both runtimes.
 */

const HEX_DIGITS = "0123456789ABCDEF"

/** Upper-case hex of a non-negative integer, zero-padded to `width` digits. */
export function hex(value: number, width: number): string {
    let out = ""
    let v = value
    while (v > 0 || out.length < width) {
        out = HEX_DIGITS.charAt(v % 16) + out
        v = Math.floor(v / 16)
    }
    return out
}

/** "0x1F" style for bytes and flag values. */
export function hexByte(value: number): string {
    return "0x" + hex(value, 2)
}

/** "U+D800" style for code points. */
export function codePoint(value: number): string {
    return "U+" + hex(value, 4)
}

/** "1 byte", "3 bytes". */
export function count(n: number, noun: string): string {
    return n === 1 ? `${n} ${noun}` : `${n} ${noun}s`
}

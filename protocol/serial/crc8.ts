/**
 * CRC-8/SMBUS (poly 0x07, init 0x00, no reflection, xorout 0x00), the optional line
 * checksum of DESIGN §4. Check value: CRC of the ASCII bytes "123456789" is 0xF4
 * (Reveng catalogue, "CRC-8/SMBUS"). Table-driven: one lookup per byte.
 */

const TABLE = buildTable()

function buildTable(): number[] {
    const table: number[] = []
    for (let n = 0; n < 256; n++) {
        let c = n
        for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff
        table.push(c)
    }
    return table
}

/** CRC-8/SMBUS of bytes[start, end). */
export function crc8(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
    let crc = 0
    for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff]
    return crc
}

/** CRC-8/SMBUS of the UTF-8 encoding of `text`. */
export function crc8Text(text: string): number {
    return crc8(new TextEncoder().encode(text))
}

/** Two upper-case hex digits, as the ` *XX` suffix carries them. */
export function crcHex(crc: number): string {
    const hex = (crc & 0xff).toString(16).toUpperCase()
    return hex.length === 1 ? "0" + hex : hex
}

/**
 * The ESP-IDF partition table (components/partition_table/gen_esp32part.py), as a full
 * runtime image carries it at flash address 0x8000. Pure.
 *
 * Entries of 32 bytes, little-endian: magic AA 50, u8 type, u8 subtype, u32 offset,
 * u32 size, char label[16] (NUL-padded), u32 flags. The list ends at an entry of 0xff
 * bytes or at the MD5 entry (magic EB EB); the table is at most 0xc00 bytes.
 */

export const PARTITION_TABLE_ADDRESS = 0x8000
const ENTRY_SIZE = 32
const TABLE_MAX_BYTES = 0xc00

/** The DeviceScript storage ("fstor" in the runtime's boards/partitions.csv). */
export const FSTOR_PARTITION = { type: 0x8a, subtype: 0x01 } as const

export interface Partition {
    label: string
    type: number
    subtype: number
    offset: number
    size: number
}

/**
 * The partitions of the table at `at` in `bytes`, or undefined when no table starts
 * there (the first entry's magic is not AA 50).
 */
export function readPartitionTable(bytes: Uint8Array, at: number): Partition[] | undefined {
    if (at < 0 || at + ENTRY_SIZE > bytes.length || bytes[at] !== 0xaa || bytes[at + 1] !== 0x50)
        return undefined
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const out: Partition[] = []
    for (let e = at; e + ENTRY_SIZE <= Math.min(bytes.length, at + TABLE_MAX_BYTES); e += ENTRY_SIZE) {
        if (bytes[e] !== 0xaa || bytes[e + 1] !== 0x50) break
        const rawLabel = bytes.subarray(e + 12, e + 28)
        const nul = rawLabel.indexOf(0)
        out.push({
            type: bytes[e + 2],
            subtype: bytes[e + 3],
            offset: view.getUint32(e + 4, true),
            size: view.getUint32(e + 8, true),
            label: new TextDecoder().decode(rawLabel.subarray(0, nul < 0 ? 16 : nul)),
        })
    }
    return out
}

/** One table entry's bytes (for building test images). Pure. */
export function encodePartition(p: Partition): Uint8Array {
    const out = new Uint8Array(ENTRY_SIZE)
    const view = new DataView(out.buffer)
    out[0] = 0xaa
    out[1] = 0x50
    out[2] = p.type
    out[3] = p.subtype
    view.setUint32(4, p.offset, true)
    view.setUint32(8, p.size, true)
    out.set(new TextEncoder().encode(p.label).subarray(0, 15), 12)
    return out
}

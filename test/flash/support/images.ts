// Small SYNTHETIC runtime images (not DeviceScript's): an ESP32 image header with a chip
// id, the runtime's partition table at flash address 0x8000, and a pattern the tests can
// find again. Enough for fieldlink's image checks and bundling; no code runs from them.
import { CHIP_IDS } from "../../../boards/runtime-release.js"
import { encodePartition, type Partition } from "../../../flash/partitions.js"

/** devicescript-esp32's boards/partitions.csv (v2.16.1). */
export const RUNTIME_PARTITIONS: readonly Partition[] = [
    { label: "dcfg", type: 0x8a, subtype: 0x00, offset: 0x9000, size: 0x2000 },
    { label: "nvs", type: 0x01, subtype: 0x02, offset: 0xb000, size: 0x4000 },
    { label: "phy_init", type: 0x01, subtype: 0x01, offset: 0xf000, size: 0x1000 },
    { label: "factory", type: 0x00, subtype: 0x00, offset: 0x10000, size: 1728 * 1024 },
    { label: "fstor", type: 0x8a, subtype: 0x01, offset: 0x1c0000, size: 256 * 1024 },
]

export interface SyntheticImage {
    chip?: string
    /** Overrides the chip's id (byte 12). */
    chipId?: number
    /** Flash address the image starts at: 0x0 (C3, S3) or 0x1000 (ESP32, S2). */
    binFlashOffset?: number
    /** The partition table; null for none. */
    partitions?: readonly Partition[] | null
    bytes?: number
}

export function syntheticRuntimeImage(o: SyntheticImage = {}): Uint8Array {
    const offset = o.binFlashOffset ?? (o.chip === "esp32" || o.chip === "esp32s2" ? 0x1000 : 0)
    const out = new Uint8Array(o.bytes ?? 64 * 1024)
    for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) & 0xff
    out[0] = 0xe9
    out[1] = 3
    out.fill(0, 4, 16)
    const id = o.chipId ?? CHIP_IDS[o.chip ?? "esp32c3"]
    out[12] = id & 0xff
    out[13] = id >> 8
    const table = 0x8000 - offset
    if (table + 0xc00 <= out.length) {
        out.fill(0xff, table, table + 0xc00)
        if (o.partitions !== null)
            (o.partitions ?? RUNTIME_PARTITIONS).forEach((p, i) =>
                out.set(encodePartition(p), table + i * 32),
            )
    }
    return out
}

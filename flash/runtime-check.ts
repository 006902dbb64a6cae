/**
 * Is this file a DeviceScript runtime image for this board? Checked before anything is
 * written, because a wrong image leaves a board that does not boot, or one whose
 * runtime looks for its storage elsewhere and formats it (program and settings gone).
 * Pure: bytes and a name in, the first problem out.
 *
 *   1. a file name ending in `-0x<offset>.bin` names the flash address it is made for:
 *      it must be the board's (the app-only `-0x10000.bin` images are refused);
 *   2. it is an ESP32 image (magic 0xe9) for the board's chip (byte 12 of the header);
 *   3. it carries the runtime's partition table (at flash address 0x8000), whose storage
 *      partition (type 0x8a, subtype 0x01) is where and as large as the catalogue says;
 *   4. nothing of it lies in the storage region (./image.ts).
 */
import { basename } from "node:path"
import type { FlashLayout } from "@fieldlink/boards/catalog"
import { assetFileName, CHIP_IDS, chipNameOfId } from "@fieldlink/boards/runtime-release"
import { ESP_IMAGE_MAGIC, runtimeImageProblem, storageSize } from "./image.js"
import { FSTOR_PARTITION, PARTITION_TABLE_ADDRESS, readPartitionTable } from "./partitions.js"

export interface RuntimeTarget {
    /** DeviceScript arch id: esp32, esp32c3, ... */
    chip: string
    /** "ESP32-C3" */
    chipName: string
    devicescriptBoard: string
    layout: FlashLayout
}

export interface ImageProblem {
    /** What was found and what was expected. */
    problem: string
    /** What to do. */
    hints: string[]
}

const hex = (n: number) => "0x" + n.toString(16)
const kib = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`)

/** The file DeviceScript publishes for the board (bootloader + partition table + app). */
export function fullImageName(t: RuntimeTarget): string {
    return t.layout.runtimeUrl
        ? assetFileName(t.layout.runtimeUrl)
        : `devicescript-${t.chip}-${t.devicescriptBoard}-${hex(t.layout.binFlashOffset)}.bin`
}

/** The flash address a file name says it is for (`...-0x1000.bin`), if it says one. */
export function offsetInName(fileName: string): number | undefined {
    const m = /-0x([0-9a-f]+)\.bin$/i.exec(basename(fileName))
    return m ? parseInt(m[1], 16) : undefined
}

export function checkRuntimeImage(
    bytes: Uint8Array,
    fileName: string | undefined,
    t: RuntimeTarget,
): ImageProblem | undefined {
    const full = fullImageName(t)
    const useFull = `use ${full} from the DeviceScript release (it holds the bootloader, the partition table and the runtime, written at ${hex(t.layout.binFlashOffset)})`
    const named = fileName === undefined ? undefined : offsetInName(fileName)
    if (named === 0x10000)
        return {
            problem: `${basename(fileName!)} is an app-only image (for flash address 0x10000), expected the full image for ${hex(t.layout.binFlashOffset)}: without its bootloader and partition table the runtime would not find its storage`,
            hints: [useFull],
        }
    if (named !== undefined && named !== t.layout.binFlashOffset)
        return {
            problem: `${basename(fileName!)} is made for flash address ${hex(named)}, expected ${hex(t.layout.binFlashOffset)} for an ${t.chipName}`,
            hints: [
                useFull,
                "is it an image for another chip? The ESP32 and ESP32-S2 start at 0x1000, the ESP32-C3 and ESP32-S3 at 0x0",
            ],
        }
    const basic = runtimeImageProblem(bytes, t.layout)
    if (basic && bytes[0] !== ESP_IMAGE_MAGIC) return { problem: basic, hints: [useFull] }
    if (bytes.length < 16)
        return {
            problem: `it is ${bytes.length} bytes, too short for an ESP32 image header (16)`,
            hints: [useFull],
        }
    const chipId = bytes[12] | (bytes[13] << 8)
    const expectedId = CHIP_IDS[t.chip]
    if (chipId !== expectedId) {
        const found = chipNameOfId(chipId)
        return {
            problem: `its header says chip id ${chipId}${found ? ` (${found})` : " (no chip DeviceScript supports)"}, expected ${expectedId} (${t.chipName})`,
            hints: [
                found ? `this image is for an ${found} board: ${useFull}` : useFull,
                `or flash a board of this image's chip with a profile for it ('fieldlink boards' lists them)`,
            ],
        }
    }
    const tableAt = PARTITION_TABLE_ADDRESS - t.layout.binFlashOffset
    const table = readPartitionTable(bytes, tableAt)
    if (!table)
        return {
            problem: `it has no partition table at flash address ${hex(PARTITION_TABLE_ADDRESS)} (byte ${hex(tableAt)} of the file; magic AA 50 expected): it is not a full runtime image (an app-only or a bootloader-only file?)`,
            hints: [useFull],
        }
    const fstor = table.find(p => p.type === FSTOR_PARTITION.type && p.subtype === FSTOR_PARTITION.subtype)
    const expectedSize = storageSize(t.layout)
    const want = `the storage partition (type 0x8a, subtype 0x01) at ${hex(t.layout.fstorOffset)}, ${kib(expectedSize)}`
    if (!fstor)
        return {
            problem: `its partition table has no DeviceScript storage partition, expected ${want}; found ${table.map(p => `${p.label || "?"} (type ${hex(p.type)}/${hex(p.subtype)} at ${hex(p.offset)})`).join(", ") || "no partitions"}`,
            hints: ["this is not a DeviceScript runtime: " + useFull],
        }
    if (fstor.offset !== t.layout.fstorOffset || fstor.size !== expectedSize)
        return {
            problem: `its storage partition "${fstor.label}" is at ${hex(fstor.offset)}, ${kib(fstor.size)}; expected ${want} (where fieldlink puts the program and settings): the runtime would format its storage and lose them`,
            hints: [
                useFull,
                "a runtime built with another partition table needs a profile whose DeviceScript board says the same storage offset and size",
            ],
        }
    if (basic) return { problem: basic, hints: [useFull] }
    return undefined
}

/**
 * The one image written to a board: the DeviceScript runtime (`.bin`, written at the
 * chip's runtime offset) with the storage (program + settings) laid in at the board's
 * storage offset, 0xff in between. As `devs bundle` (patchBinFile) builds it. Pure.
 */
import type { FlashLayout } from "@fieldlink/boards/catalog"

/** First byte of an ESP32 firmware image (bootloader and app headers alike). */
export const ESP_IMAGE_MAGIC = 0xe9

export class ImageError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "ImageError"
    }
}

function hex(n: number): string {
    return "0x" + n.toString(16)
}

/** Where the storage starts inside a bundled image (the image starts at binFlashOffset). */
export function storageStart(layout: FlashLayout): number {
    return layout.fstorOffset - layout.binFlashOffset
}

export function storageSize(layout: FlashLayout): number {
    return layout.fstorPages * layout.pageSize
}

/** Why `runtime` cannot be a runtime image for this layout, or undefined when it can. */
export function runtimeImageProblem(runtime: Uint8Array, layout: FlashLayout): string | undefined {
    if (runtime.length >= 4 && String.fromCharCode(...runtime.subarray(0, 4)) === "UF2\n")
        return "it is a UF2 file (for RP2040 boards), expected an ESP32 .bin"
    if (runtime.length === 0 || runtime[0] !== ESP_IMAGE_MAGIC)
        return `its first byte is ${runtime.length ? hex(runtime[0]) : "missing"}, expected ${hex(ESP_IMAGE_MAGIC)} (an ESP32 firmware image)`
    const start = storageStart(layout)
    // A runtime may run into the storage region only with erased (or zeroed) bytes.
    for (let i = start; i < Math.min(runtime.length, start + storageSize(layout)); i++)
        if (runtime[i] !== 0xff && runtime[i] !== 0x00)
            return `it already holds data at the storage offset ${hex(layout.fstorOffset)} (byte ${hex(i)}), expected a runtime that ends before it`
    return undefined
}

/** runtime ‖ 0xff … ‖ storage, to be written at `layout.binFlashOffset`. */
export function bundleImage(runtime: Uint8Array, storage: Uint8Array, layout: FlashLayout): Uint8Array {
    const problem = runtimeImageProblem(runtime, layout)
    if (problem) throw new ImageError(`not a runtime image for this board: ${problem}`)
    if (storage.length !== storageSize(layout))
        throw new ImageError(
            `the storage is ${storage.length} bytes, expected ${storageSize(layout)} (${layout.fstorPages} pages of ${layout.pageSize})`,
        )
    const start = storageStart(layout)
    const image = new Uint8Array(start + storage.length).fill(0xff)
    image.set(runtime.subarray(0, Math.min(runtime.length, start)))
    image.set(storage, start)
    return image
}

/** The storage region of a bundled image (to read it back). */
export function imageStorage(image: Uint8Array, layout: FlashLayout): Uint8Array {
    const start = storageStart(layout)
    const end = start + storageSize(layout)
    if (image.length < end)
        throw new ImageError(
            `the image is ${image.length} bytes, too short to hold the storage at ${hex(layout.fstorOffset)} (needs ${end})`,
        )
    return image.subarray(start, end)
}

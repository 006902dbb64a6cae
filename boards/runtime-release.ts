/**
 * The DeviceScript runtime images fieldlink writes to boards: one pinned release of
 * microsoft/devicescript-esp32, never `latest`, each image with the sha256 it must have.
 *
 * Why v2.16.1: it is the last devicescript-esp32 release, and the one made for the
 * bytecode of the pinned compiler (@devicescript/cli 2.16.4). Its runtime is built from
 * the devicescript submodule at c4e21867 ("release v2.16.0"), whose
 * runtime/devicescript/devs_bytecode.h says DEVS_IMG_VERSION 2.16.0, and whose verify.c
 * loads bytecode of the same major version and a minor version no newer than its own
 * (and at least 7); the patch number is ignored.
 *
 * The sha256 values. A maintainer fills them from the release itself (the assets are
 * not in the git repository, so they cannot be read from its sources):
 *
 *     npx tsx scripts/runtime-hashes.ts      # downloads each asset below, prints its sha256
 *
 * and pastes them here, after comparing with a second download (another machine or
 * network). A file with `sha256: undefined` is UNVERIFIED: fieldlink refuses to download
 * it and says so; `--runtime-image FILE` still works (its structure is checked).
 */

export const RUNTIME_REPOSITORY = "microsoft/devicescript-esp32"
export const RUNTIME_RELEASE = "v2.16.1"

/** Bytecode versions as the runtime reads them: u32 at offset 8 of the image, major.minor.patch = 8.8.16 bits. */
export interface BytecodeVersion {
    major: number
    minor: number
    patch: number
}

/** DEVS_IMG_VERSION of the runtime in the pinned release (see above). */
export const RUNTIME_BYTECODE_VERSION: BytecodeVersion = { major: 2, minor: 16, patch: 0 }
/** verify.c: "2.7.0 is first version without static roles". */
const OLDEST_ACCEPTED_MINOR = 7

export function decodeBytecodeVersion(word: number): BytecodeVersion {
    return { major: (word >>> 24) & 0xff, minor: (word >>> 16) & 0xff, patch: word & 0xffff }
}

/** The version a compiled program (`.devs` image) declares, from its header. Pure. */
export function programBytecodeVersion(program: Uint8Array): BytecodeVersion {
    if (program.length < 12)
        throw new Error(`a compiled program is at least 12 bytes, found ${program.length}`)
    return decodeBytecodeVersion(
        new DataView(program.buffer, program.byteOffset, program.byteLength).getUint32(8, true),
    )
}

export function formatVersion(v: BytecodeVersion): string {
    return `${v.major}.${v.minor}.${v.patch}`
}

/** Whether the runtime loads bytecode of version `v` (runtime/devicescript/verify.c). Pure. */
export function runtimeAccepts(
    v: BytecodeVersion,
    runtime: BytecodeVersion = RUNTIME_BYTECODE_VERSION,
): boolean {
    return v.major === runtime.major && v.minor <= runtime.minor && v.minor >= OLDEST_ACCEPTED_MINOR
}

/**
 * Every ESP32 image of the release that DeviceScript's catalogue names (`$fwUrl`), by
 * file name. undefined = not yet verified (see the top of this file).
 */
export const RUNTIME_IMAGE_SHA256: Readonly<Record<string, string | undefined>> = {
    "devicescript-esp32-esp32_bare-0x1000.bin": undefined,
    "devicescript-esp32-esp32_devkit_c-0x1000.bin": undefined,
    "devicescript-esp32c3-adafruit_qt_py_c3-0x0.bin": undefined,
    "devicescript-esp32c3-esp32_c3fh4_rgb-0x0.bin": undefined,
    "devicescript-esp32c3-esp32c3_bare-0x0.bin": undefined,
    "devicescript-esp32c3-esp32c3_rust_devkit-0x0.bin": undefined,
    "devicescript-esp32c3-esp32c3_supermini-0x0.bin": undefined,
    "devicescript-esp32c3-kittenbot_grapebit_esp32c3-0x0.bin": undefined,
    "devicescript-esp32c3-seeed_xiao_esp32c3-0x0.bin": undefined,
    "devicescript-esp32c3-seeed_xiao_esp32c3_msr218-0x0.bin": undefined,
    "devicescript-esp32s2-adafruit_feather_esp32_s2-0x1000.bin": undefined,
    "devicescript-esp32s2-esp32s2_bare-0x1000.bin": undefined,
    "devicescript-esp32s2-feather_s2-0x1000.bin": undefined,
    "devicescript-esp32s2-msr207_v42-0x1000.bin": undefined,
    "devicescript-esp32s2-msr207_v43-0x1000.bin": undefined,
    "devicescript-esp32s2-msr48-0x1000.bin": undefined,
    "devicescript-esp32s3-esp32s3_bare-0x0.bin": undefined,
    "devicescript-esp32s3-esp32s3_devkit_m-0x0.bin": undefined,
}

/** The download address of a file of the pinned release. */
export function releaseAssetUrl(file: string): string {
    return `https://github.com/${RUNTIME_REPOSITORY}/releases/download/${RUNTIME_RELEASE}/${file}`
}

/** The file name of an image from DeviceScript's `$fwUrl` (which points at `latest`). */
export function assetFileName(publishedUrl: string): string {
    return publishedUrl.slice(publishedUrl.lastIndexOf("/") + 1)
}

/** The ESP image header's chip id (byte 12) of each DeviceScript arch (esptool's CHIP_IDs). */
export const CHIP_IDS: Readonly<Record<string, number>> = { esp32: 0, esp32s2: 2, esp32c3: 5, esp32s3: 9 }

/** "ESP32-C3" for a chip id, for messages. */
export function chipNameOfId(id: number): string | undefined {
    const arch = Object.keys(CHIP_IDS).find(k => CHIP_IDS[k] === id)
    return arch === undefined ? undefined : arch.toUpperCase().replace(/^ESP32(?=.)/, "ESP32-")
}

/**
 * Reads the DeviceScript runtime's flash storage ("fstor"): the key/value store that
 * holds a board's settings and its deployed program. Pure; used to check a bundled
 * image before it is written (and by the tests), independently of the VM that wrote it.
 *
 * Layout (jacdac-c `storage/fstor.c`, DeviceScript `devsmgr.c`), little-endian:
 * - two header copies, at 0 and at `header_pages * page_size`; the valid one with the
 *   higher generation is current. A header is
 *     u32 magic0 0x52545346 ("FSTR"), u32 magic1 0x6becea0a, u32 generation,
 *     u32 page_size, u16 total_pages, u16 header_pages, u32 reserved,
 *   then 24-byte entries: char key[16] (NUL-padded), u32 offset, u32 size; the first
 *   entry whose offset is 0xffffffff ends the list. The last entry of a key wins; an
 *   empty value deletes it. Offsets count from the start of the storage.
 * - settings written through the Settings service are stored under ":" + key, their
 *   value the JSON text of the value (as `@devicescript/settings` reads it).
 * - the program is the large entry "*prog": a 128-byte header (u32 magic0 0x8d8abd53,
 *   u32 size, u32 magic1 0xb27c4b2b, u32 FNV-1a hash of the image, 112 reserved bytes),
 *   then the bytecode image.
 */

export const FSTOR_MAGIC0 = 0x52545346
export const FSTOR_MAGIC1 = 0x6becea0a
export const PROGRAM_KEY = "*prog"
export const PROGRAM_MAGIC0 = 0x8d8abd53
export const PROGRAM_MAGIC1 = 0xb27c4b2b
export const PROGRAM_HEADER_SIZE = 128
const HEADER_SIZE = 24
const ENTRY_SIZE = 24
const KEY_SIZE = 16

export class FstorError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "FstorError"
    }
}

export interface FstorHeader {
    /** Byte offset of this header copy in the storage. */
    at: number
    generation: number
    pageSize: number
    totalPages: number
    headerPages: number
}

/**
 * How many header pages the runtime uses for a storage of `totalPages` pages
 * (jacdac-c jd_fstor.c, JD_SETTINGS_LARGE): a sixteenth, at least 1, at most 0xf0.
 */
export function runtimeHeaderPages(totalPages: number): number {
    return Math.min(0xf0, Math.max(1, Math.floor(totalPages / 16)))
}

/**
 * Why the runtime would not mount a storage with this header, or undefined. The
 * runtime takes a header only when page size, page count and header page count are
 * exactly its own (is_valid_header); otherwise it says "fstor: formatting now" and
 * erases the storage, program and settings with it.
 */
export function headerMismatch(
    header: FstorHeader,
    pageSize: number,
    totalPages: number,
): string | undefined {
    const expected = { pageSize, totalPages, headerPages: runtimeHeaderPages(totalPages) }
    const wrong = (["pageSize", "totalPages", "headerPages"] as const).filter(k => header[k] !== expected[k])
    if (wrong.length === 0) return undefined
    const names = { pageSize: "page size", totalPages: "page count", headerPages: "header page count" }
    return `the storage header says ${wrong.map(k => `${names[k]} ${header[k]}`).join(", ")}; the board's runtime expects ${wrong.map(k => `${names[k]} ${expected[k]}`).join(", ")}: it would not mount this storage and would erase it (program and settings) on first boot`
}

/** FNV-1a, 32 bits (jacdac-c `jd_hash_fnv1a`). */
export function fnv1a(data: Uint8Array): number {
    let h = 0x811c9dc5
    for (const b of data) h = Math.imul(h ^ b, 0x1000193) >>> 0
    return h >>> 0
}

function view(bytes: Uint8Array): DataView {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function readHeader(storage: Uint8Array, at: number): FstorHeader | undefined {
    if (at + HEADER_SIZE > storage.length) return undefined
    const v = view(storage)
    if (v.getUint32(at, true) !== FSTOR_MAGIC0 || v.getUint32(at + 4, true) !== FSTOR_MAGIC1) return undefined
    return {
        at,
        generation: v.getUint32(at + 8, true),
        pageSize: v.getUint32(at + 12, true),
        totalPages: v.getUint16(at + 16, true),
        headerPages: v.getUint16(at + 18, true),
    }
}

/** The current header: the valid copy with the higher generation. */
export function currentHeader(storage: Uint8Array): FstorHeader {
    const first = readHeader(storage, 0)
    if (!first)
        throw new FstorError(
            "no storage header at the start of the storage (magic FSTR missing): the image holds no program or settings",
        )
    const size = first.pageSize * first.totalPages
    if (size > storage.length)
        throw new FstorError(
            `the storage header says ${first.totalPages} pages of ${first.pageSize} bytes, but only ${storage.length} bytes are present`,
        )
    const second = readHeader(storage, first.headerPages * first.pageSize)
    return second && second.generation > first.generation ? second : first
}

export interface FstorEntry {
    key: string
    /** From the start of the storage. */
    offset: number
    size: number
}

/** The entries of the current header, in the order written (a key may repeat). */
export function listEntries(storage: Uint8Array): FstorEntry[] {
    const header = currentHeader(storage)
    const v = view(storage)
    const out: FstorEntry[] = []
    const end = header.at + header.headerPages * header.pageSize
    for (let at = header.at + HEADER_SIZE; at + ENTRY_SIZE <= end; at += ENTRY_SIZE) {
        const offset = v.getUint32(at + KEY_SIZE, true)
        if (offset === 0xffffffff) break
        const size = v.getUint32(at + KEY_SIZE + 4, true)
        const rawKey = storage.subarray(at, at + KEY_SIZE)
        const nul = rawKey.indexOf(0)
        const key = new TextDecoder().decode(rawKey.subarray(0, nul < 0 ? KEY_SIZE : nul))
        if (offset + size > storage.length)
            throw new FstorError(
                `entry ${JSON.stringify(key)} points past the end of the storage (${offset} + ${size} > ${storage.length})`,
            )
        out.push({ key, offset, size })
    }
    return out
}

/** Every live entry: key → value bytes (the last write of a key; deleted keys left out). */
export function readEntries(storage: Uint8Array): Map<string, Uint8Array> {
    const entries = new Map<string, Uint8Array>()
    for (const e of listEntries(storage)) {
        if (e.size === 0) entries.delete(e.key)
        else entries.set(e.key, storage.slice(e.offset, e.offset + e.size))
    }
    return entries
}

/** The deployed program's bytecode, its header checked (magics, size, FNV-1a). */
export function readProgram(entries: Map<string, Uint8Array>): Uint8Array {
    const stored = entries.get(PROGRAM_KEY)
    if (!stored) throw new FstorError('the storage holds no program (no "*prog" entry)')
    if (stored.length < PROGRAM_HEADER_SIZE)
        throw new FstorError(
            `the program entry is ${stored.length} bytes, shorter than its ${PROGRAM_HEADER_SIZE}-byte header`,
        )
    const v = view(stored)
    if (v.getUint32(0, true) !== PROGRAM_MAGIC0 || v.getUint32(8, true) !== PROGRAM_MAGIC1)
        throw new FstorError(
            "the program entry's header has wrong magic numbers: the program was not completely written",
        )
    const size = v.getUint32(4, true)
    if (PROGRAM_HEADER_SIZE + size > stored.length)
        throw new FstorError(
            `the program header says ${size} bytes, but the entry holds ${stored.length - PROGRAM_HEADER_SIZE}`,
        )
    const image = stored.slice(PROGRAM_HEADER_SIZE, PROGRAM_HEADER_SIZE + size)
    const hash = v.getUint32(12, true)
    if (fnv1a(image) !== hash)
        throw new FstorError(
            `the program's FNV-1a hash is 0x${fnv1a(image).toString(16)}, its header says 0x${hash.toString(16)}`,
        )
    return image
}

export type StoredValue = string | number | boolean | null | object

/** The settings written through the Settings service, their JSON values parsed. */
export function readSettings(entries: Map<string, Uint8Array>): Record<string, StoredValue> {
    const out: Record<string, StoredValue> = {}
    for (const [key, value] of entries) {
        if (!key.startsWith(":")) continue
        const text = new TextDecoder().decode(value)
        try {
            out[key.slice(1)] = JSON.parse(text) as StoredValue
        } catch {
            throw new FstorError(
                `setting ${key.slice(1)} holds ${JSON.stringify(text)}, which is not JSON (readSetting would ignore it)`,
            )
        }
    }
    return out
}

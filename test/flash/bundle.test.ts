// The bundled image: the runtime, then the program and the settings at the board's
// storage offset, written by the DeviceScript runtime itself and read back with an
// independent reader of its storage format.
import test from "ava"
import { createServer, type Server } from "node:http"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadProfile } from "../../boards/profile.js"
import { buildBoardFirmware } from "../../flash/build.js"
import { bundle, readBundle } from "../../flash/bundle.js"
import { fnv1a, FstorError, readEntries, readProgram, readSettings } from "../../flash/fstor.js"
import { bundleImage, imageStorage, ImageError, storageStart } from "../../flash/image.js"
import { obtainRuntime } from "../../flash/runtime.js"
import { buildStorage, expectedProgramEntry, restoreProgramEnd } from "../../flash/storage.js"
import { firmwareProgram } from "../support/firmware.js"
import { removeOnExit } from "../support/cleanup.js"
import { freePort } from "../support/wait.js"
import { makeStandIns, runFieldlink, standInRuntimeImage } from "./support/standins.js"

test("FNV-1a, 32 bits: the published vectors", t => {
    const ascii = (s: string) => new TextEncoder().encode(s)
    t.is(fnv1a(ascii("")), 0x811c9dc5)
    t.is(fnv1a(ascii("a")), 0xe40c292c)
    t.is(fnv1a(ascii("foobar")), 0xbf9cf968)
})

/** A storage laid out by hand from the format description in flash/fstor.ts. */
function handMadeStorage(
    entries: [string, Uint8Array][],
    options: { second?: [string, Uint8Array][] } = {},
): Uint8Array {
    const page = 4096
    const pages = 64
    const headerPages = 4
    const out = new Uint8Array(page * pages).fill(0xff)
    const v = new DataView(out.buffer)
    const writeCopy = (at: number, generation: number, list: [string, Uint8Array][]) => {
        v.setUint32(at, 0x52545346, true)
        v.setUint32(at + 4, 0x6becea0a, true)
        v.setUint32(at + 8, generation, true)
        v.setUint32(at + 12, page, true)
        v.setUint16(at + 16, pages, true)
        v.setUint16(at + 18, headerPages, true)
        v.setUint32(at + 20, 0, true)
        let data = at + headerPages * page
        list.forEach(([key, value], i) => {
            const e = at + 24 + i * 24
            out.fill(0, e, e + 16)
            out.set(new TextEncoder().encode(key), e)
            data -= Math.ceil(value.length / 8) * 8 || 8
            out.set(value, data)
            v.setUint32(e + 16, data, true)
            v.setUint32(e + 20, value.length, true)
        })
    }
    writeCopy(0, 1, entries)
    if (options.second) writeCopy(headerPages * page, 2, options.second)
    return out
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

test("the storage reader: the last write of a key wins, an empty one deletes, the newer header copy rules", t => {
    const storage = handMadeStorage([
        [":mqtt_host", json("old.example")],
        [":device_id", json("bench-1")],
        [":mqtt_host", json("new.example")],
        [":device_id", new Uint8Array(0)],
    ])
    t.deepEqual(readSettings(readEntries(storage)), { mqtt_host: "new.example" })
    const twoCopies = handMadeStorage([[":a", json(1)]], { second: [[":a", json(2)]] })
    t.deepEqual(readSettings(readEntries(twoCopies)), { a: 2 })
    t.throws(() => readEntries(new Uint8Array(4096).fill(0xff)), {
        instanceOf: FstorError,
        message: /no storage header/,
    })
})

test("the program entry: magic numbers, size and FNV-1a are checked", t => {
    const program = new Uint8Array(96).map((_, i) => i)
    const entry = expectedProgramEntry(program)
    t.deepEqual(readProgram(readEntries(handMadeStorage([["*prog", entry]]))), program)
    const corrupt = entry.slice()
    corrupt[corrupt.length - 1] ^= 0xff
    t.throws(() => readProgram(readEntries(handMadeStorage([["*prog", corrupt]]))), {
        message: /FNV-1a hash is 0x[0-9a-f]+, its header says/,
    })
    const unfinished = entry.slice()
    unfinished.fill(0xff, 8, 16)
    t.throws(() => readProgram(readEntries(handMadeStorage([["*prog", unfinished]]))), {
        message: /wrong magic numbers: the program was not completely written/,
    })
    t.throws(() => readProgram(readEntries(handMadeStorage([[":x", json(1)]]))), {
        message: /holds no program/,
    })
})

test("the runtime's flash save leaves out its last byte; the program's end is put back", t => {
    const program = new Uint8Array(64).fill(0x42)
    const storage = handMadeStorage([["*prog", expectedProgramEntry(program)]])
    const entry = readEntries(storage)
    t.truthy(entry.get("*prog"))
    // Find where the entry lies and cut its last byte as the VM's save does.
    const at = new DataView(storage.buffer).getUint32(24 + 16, true)
    const end = at + 128 + program.length
    storage[end - 1] = 0xff
    t.throws(() => readProgram(readEntries(storage)))
    restoreProgramEnd(storage, end - 1, program)
    t.deepEqual(readProgram(readEntries(storage)), program)
})

const c3 = { binFlashOffset: 0, fstorOffset: 0x1c0000, pageSize: 4096, fstorPages: 64, runtimeUrl: undefined }
const esp32 = { ...c3, binFlashOffset: 0x1000 }

test.serial(
    "the runtime writes program and settings; the image holds them at the board's storage offset",
    async t => {
        const program = await firmwareProgram()
        const settings = {
            mqtt_host: "192.168.4.2",
            mqtt_port: 1883,
            device_id: "bench-7",
            wifi_ssid: "fieldnet",
            wifi_pass: "correct horse",
            interval_ms: 5000,
            mqtt_tls: false,
        }
        const runtime = standInRuntimeImage()
        for (const layout of [c3, esp32]) {
            const image = await bundle({ runtime, program, settings, layout })
            t.is(image.length, layout.fstorOffset - layout.binFlashOffset + 64 * 4096)
            t.deepEqual(image.subarray(0, runtime.length), runtime, "the runtime comes first, unchanged")
            t.true(
                image.subarray(runtime.length, storageStart(layout)).every(b => b === 0xff),
                "erased flash up to the storage",
            )
            const back = readBundle(image, layout)
            t.deepEqual(back.program, program)
            t.deepEqual(back.settings, settings)
        }
    },
)

test.serial("the storage alone, straight from the runtime, reads back whole", async t => {
    const program = await firmwareProgram()
    const storage = await buildStorage({
        program,
        settings: { topic_root: "lab" },
        pageSize: 4096,
        pages: 64,
    })
    t.is(storage.length, 64 * 4096)
    const entries = readEntries(storage)
    t.deepEqual([...entries.keys()].sort(), ["*prog", ":topic_root"])
    t.deepEqual(readProgram(entries), program)
})

test("a runtime image that cannot take the storage is refused with the reason", t => {
    const storage = new Uint8Array(64 * 4096).fill(0xff)
    t.throws(() => bundleImage(new TextEncoder().encode("UF2\nxxxx"), storage, c3), {
        instanceOf: ImageError,
        message: /UF2 file/,
    })
    t.throws(() => bundleImage(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), storage, c3), {
        message: /first byte is 0x7f, expected 0xe9/,
    })
    const big = new Uint8Array(0x1c0000 + 16).fill(0xff)
    big[0] = 0xe9
    big[0x1c0000 + 3] = 0x12
    t.throws(() => bundleImage(big, storage, c3), {
        message: /already holds data at the storage offset 0x1c0000/,
    })
    t.throws(() => bundleImage(standInRuntimeImage(), storage.subarray(1), c3), {
        message: /storage is 262143 bytes, expected 262144/,
    })
    t.throws(() => imageStorage(new Uint8Array(10), c3), { message: /too short/ })
})

test.serial(
    "flash --output: the image file holds the stand-in runtime, the board's program and the settings",
    async t => {
        const s = makeStandIns(t)
        const out = join(s.dir, "image.bin")
        const r = await runFieldlink(
            [
                "flash",
                "--board",
                "seeed_xiao_esp32c3",
                "--runtime-image",
                s.runtime,
                "--wifi-ssid",
                "fieldnet",
                "--wifi-password",
                "correct horse",
                "--broker",
                "mqtt://192.168.4.2",
                "--device-id",
                "bench-9",
                "--output",
                out,
            ],
            s.env,
        )
        t.is(r.code, 0, r.stderr)
        t.regex(r.stdout, /program and \d+ settings at 0x1c0000, read back and checked/)
        t.regex(r.stdout, /flash it with: esptool --chip esp32c3 write_flash 0x0 /)
        const image = new Uint8Array(readFileSync(out))
        t.deepEqual(image.subarray(0, s.runtimeBytes.length), s.runtimeBytes)
        const profile = loadProfile("seeed_xiao_esp32c3")
        const back = readBundle(image, profile.layout!)
        t.deepEqual(back.program, (await buildBoardFirmware(profile)).bytecode)
        // t.like: a developer's firmware/.env.local may add settings of its own.
        t.like(back.settings, {
            interval_ms: 10000,
            keepalive_s: 60,
            mqtt_host: "192.168.4.2",
            mqtt_port: 1883,
            mqtt_tls: false,
            device_id: "bench-9",
            wifi_ssid: "fieldnet",
            wifi_pass: "correct horse",
            board: "seeed_xiao_esp32c3",
            transport: "wifi",
        })
        t.deepEqual(s.calls(), [], "no esptool for --output")
    },
)

async function serve(
    handler: (path: string) => { status: number; body?: Uint8Array },
): Promise<{ url: string; hits: string[]; server: Server }> {
    const hits: string[] = []
    const server = createServer((req, res) => {
        hits.push(req.url ?? "")
        const r = handler(req.url ?? "")
        res.writeHead(r.status)
        res.end(r.body ? Buffer.from(r.body) : undefined)
    })
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve))
    const address = server.address() as { port: number }
    return { url: `http://127.0.0.1:${address.port}/releases`, hits, server }
}

const XIAO_FILE = "devicescript-esp32c3-seeed_xiao_esp32c3-0x0.bin"
/** A recorded hash, so these runs get as far as the network (the catalogue's own state is tested in runtime-image.test.ts). */
const someHash = { [XIAO_FILE]: "0".repeat(64), "devicescript-esp32-esp32_bare-0x1000.bin": "0".repeat(64) }

test.serial("a runtime download that fails offers --runtime-image", async t => {
    // A mirror that is not there: as a site without internet access sees GitHub.
    const closed = await freePort()
    const e = await t.throwsAsync(
        obtainRuntime({
            profile: loadProfile("seeed_xiao_esp32c3"),
            hashes: someHash,
            env: {
                FIELDLINK_RUNTIME_MIRROR: `http://127.0.0.1:${closed}/releases`,
                FIELDLINK_CACHE_DIR: tmpdir(),
            },
        }),
    )
    t.regex(
        e!.message,
        /could not download the DeviceScript runtime for Seeed Studio XIAO ESP32C3 from http:\/\/127\.0\.0\.1:\d+\/releases\/devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin: ECONNREFUSED/,
    )
    t.regex(
        e!.message,
        /download https:\/\/github\.com\/microsoft\/devicescript-esp32\/releases\/download\/v2\.16\.1\/devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin/,
    )
    t.regex(e!.message, /--runtime-image devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin/)
})

test("an HTTP error from the download site is named", async t => {
    const mirror = await serve(() => ({ status: 404 }))
    t.teardown(() => mirror.server.close())
    const e = await t.throwsAsync(
        obtainRuntime({
            profile: loadProfile("esp32_bare"),
            hashes: someHash,
            env: { FIELDLINK_RUNTIME_MIRROR: mirror.url, FIELDLINK_CACHE_DIR: tmpdir() },
        }),
    )
    t.regex(
        e!.message,
        /from http:\/\/127\.0\.0\.1:\d+\/releases\/devicescript-esp32-esp32_bare-0x1000\.bin: HTTP 404 Not Found[\s\S]*--runtime-image/,
    )
})

test("a file that is not a runtime image is refused", async t => {
    const dir = mkdtempSync(join(tmpdir(), "fieldlink-not-runtime-"))
    removeOnExit(dir)
    const file = join(dir, "firmware.uf2")
    writeFileSync(file, "UF2\nnot for an ESP32")
    const e = await t.throwsAsync(obtainRuntime({ profile: loadProfile("seeed_xiao_esp32c3"), file }))
    t.regex(
        e!.message,
        /firmware\.uf2 is not a DeviceScript runtime image for Seeed Studio XIAO ESP32C3: it is a UF2 file/,
    )
    await t.throwsAsync(
        obtainRuntime({ profile: loadProfile("seeed_xiao_esp32c3"), file: join(dir, "missing.bin") }),
        { message: /cannot read the runtime image .*missing\.bin: ENOENT/ },
    )
})

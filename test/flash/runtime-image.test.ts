// The runtime image: the pinned release and its hashes, the bytecode version the
// compiler emits against the one the runtime accepts, and every refusal of a wrong
// --runtime-image, each on a small synthetic image (./support/images.ts).
import test from "ava"
import { createServer, type Server } from "node:http"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deviceScriptCatalog } from "../../boards/catalog.js"
import { loadProfile } from "../../boards/profile.js"
import {
    assetFileName,
    formatVersion,
    programBytecodeVersion,
    RUNTIME_BYTECODE_VERSION,
    RUNTIME_IMAGE_SHA256,
    runtimeAccepts,
} from "../../boards/runtime-release.js"
import { checkRuntimeImage, offsetInName } from "../../flash/runtime-check.js"
import { obtainRuntime, sha256 } from "../../flash/runtime.js"
import { firmwareProgram } from "../support/firmware.js"
import { removeOnExit } from "../support/cleanup.js"
import { RUNTIME_PARTITIONS, syntheticRuntimeImage } from "./support/images.js"
import { makeStandIns, runFieldlink } from "./support/standins.js"

const xiao = loadProfile("seeed_xiao_esp32c3")
const bare = loadProfile("esp32_bare")
const target = (p = xiao) => ({
    chip: p.chip!,
    chipName: p.chipName!,
    devicescriptBoard: p.devicescriptBoard!,
    layout: p.layout!,
})
const XIAO_FILE = "devicescript-esp32c3-seeed_xiao_esp32c3-0x0.bin"

test("the compiler's bytecode is a version the pinned runtime loads (same major, minor not newer)", async t => {
    const emitted = programBytecodeVersion(await firmwareProgram())
    t.is(
        emitted.major,
        RUNTIME_BYTECODE_VERSION.major,
        `compiler emits ${formatVersion(emitted)}, runtime is ${formatVersion(RUNTIME_BYTECODE_VERSION)}`,
    )
    t.true(
        emitted.minor <= RUNTIME_BYTECODE_VERSION.minor,
        `compiler emits ${formatVersion(emitted)}, runtime is ${formatVersion(RUNTIME_BYTECODE_VERSION)}`,
    )
    t.true(runtimeAccepts(emitted))
    // The rule itself (verify.c): patch ignored, a newer minor or another major refused.
    t.true(runtimeAccepts({ major: 2, minor: 16, patch: 999 }))
    t.false(runtimeAccepts({ major: 2, minor: 17, patch: 0 }))
    t.false(runtimeAccepts({ major: 3, minor: 0, patch: 0 }))
    t.false(runtimeAccepts({ major: 2, minor: 6, patch: 0 }))
})

test("every ESP32 image DeviceScript names has a place in the pinned catalogue; recorded hashes are sha256", t => {
    const catalog = deviceScriptCatalog()
    const files = Object.values(catalog.boards)
        .filter(b => /^esp32/.test(b.archId) && b.$fwUrl)
        .map(b => assetFileName(b.$fwUrl!))
    t.deepEqual(files.sort(), Object.keys(RUNTIME_IMAGE_SHA256).sort())
    for (const [file, hash] of Object.entries(RUNTIME_IMAGE_SHA256))
        if (hash !== undefined) t.regex(hash, /^[0-9a-f]{64}$/, file)
})

test("a good synthetic image passes; the offset in a file name is read", t => {
    t.is(checkRuntimeImage(syntheticRuntimeImage({ chip: "esp32c3" }), XIAO_FILE, target()), undefined)
    t.is(
        checkRuntimeImage(
            syntheticRuntimeImage({ chip: "esp32" }),
            "devicescript-esp32-esp32_bare-0x1000.bin",
            target(bare),
        ),
        undefined,
    )
    t.is(
        checkRuntimeImage(syntheticRuntimeImage({ chip: "esp32c3" }), "my-build.bin", target()),
        undefined,
        "a name without an offset is fine",
    )
    t.is(offsetInName("/x/devicescript-esp32s2-feather_s2-0x1000.bin"), 0x1000)
    t.is(offsetInName("runtime.bin"), undefined)
})

test("refused: an image for another chip (byte 12 of the header)", t => {
    const p = checkRuntimeImage(syntheticRuntimeImage({ chip: "esp32s3" }), "runtime.bin", target())
    t.regex(p!.problem, /its header says chip id 9 \(ESP32-S3\), expected 5 \(ESP32-C3\)/)
    t.regex(
        p!.hints.join("\n"),
        /this image is for an ESP32-S3 board: use devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin/,
    )
    const unknown = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32c3", chipId: 12 }),
        "runtime.bin",
        target(),
    )
    t.regex(unknown!.problem, /chip id 12 \(no chip DeviceScript supports\), expected 5/)
})

test("refused: the app-only -0x10000.bin image, with the file to use", t => {
    const p = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32c3" }),
        "devicescript-esp32c3-seeed_xiao_esp32c3-0x10000.bin",
        target(),
    )
    t.regex(
        p!.problem,
        /devicescript-esp32c3-seeed_xiao_esp32c3-0x10000\.bin is an app-only image \(for flash address 0x10000\), expected the full image for 0x0/,
    )
    t.regex(p!.hints[0], /use devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin from the DeviceScript release/)
})

test("refused: a file name made for another flash address", t => {
    const p = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32" }),
        "devicescript-esp32-esp32_bare-0x0.bin",
        target(bare),
    )
    t.regex(p!.problem, /is made for flash address 0x0, expected 0x1000 for an ESP32/)
    t.regex(p!.hints.join("\n"), /use devicescript-esp32-esp32_bare-0x1000\.bin/)
})

test("refused: no partition table at 0x8000 (an app-only image without its suffix)", t => {
    const p = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32c3", partitions: null }),
        "app.bin",
        target(),
    )
    t.regex(
        p!.problem,
        /no partition table at flash address 0x8000 \(byte 0x8000 of the file; magic AA 50 expected\)/,
    )
    // On the ESP32 the image starts at 0x1000: the table is 0x7000 into the file.
    const onEsp32 = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32", partitions: null }),
        "app.bin",
        target(bare),
    )
    t.regex(onEsp32!.problem, /byte 0x7000 of the file/)
})

test("refused: a partition table without the storage, or with it elsewhere or of another size", t => {
    const without = RUNTIME_PARTITIONS.filter(p => p.label !== "fstor")
    const none = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32c3", partitions: without }),
        "x.bin",
        target(),
    )
    t.regex(
        none!.problem,
        /no DeviceScript storage partition, expected the storage partition \(type 0x8a, subtype 0x01\) at 0x1c0000, 256 KiB; found dcfg \(type 0x8a\/0x0 at 0x9000\), nvs/,
    )
    const moved = RUNTIME_PARTITIONS.map(p => (p.label === "fstor" ? { ...p, offset: 0x200000 } : p))
    const elsewhere = checkRuntimeImage(
        syntheticRuntimeImage({ chip: "esp32c3", partitions: moved }),
        "x.bin",
        target(),
    )
    t.regex(
        elsewhere!.problem,
        /storage partition "fstor" is at 0x200000, 256 KiB; expected the storage partition \(type 0x8a, subtype 0x01\) at 0x1c0000, 256 KiB .*would format its storage/,
    )
    const smaller = RUNTIME_PARTITIONS.map(p => (p.label === "fstor" ? { ...p, size: 128 * 1024 } : p))
    t.regex(
        checkRuntimeImage(syntheticRuntimeImage({ chip: "esp32c3", partitions: smaller }), "x.bin", target())!
            .problem,
        /is at 0x1c0000, 128 KiB; expected .* 256 KiB/,
    )
})

test.serial(
    "--runtime-image: a wrong file is refused before esptool runs, with what was found, expected, and what to do",
    async t => {
        const s = makeStandIns(t)
        const file = join(s.dir, "devicescript-esp32s3-esp32s3_devkit_m-0x0.bin")
        writeFileSync(file, syntheticRuntimeImage({ chip: "esp32s3" }))
        const r = await runFieldlink(
            [
                "flash",
                "--board",
                "seeed_xiao_esp32c3",
                "--port",
                s.port,
                "--runtime-image",
                file,
                "--wifi-ssid",
                "x",
                "--broker",
                "mqtt://10.0.0.2",
                "--device-id",
                "c3-1",
            ],
            s.env,
        )
        t.is(r.code, 1)
        t.regex(
            r.stderr,
            /devicescript-esp32s3-esp32s3_devkit_m-0x0\.bin is not a DeviceScript runtime image for Seeed Studio XIAO ESP32C3: its header says chip id 9 \(ESP32-S3\), expected 5 \(ESP32-C3\)/,
        )
        t.regex(r.stderr, /what to try:\n {2}- this image is for an ESP32-S3 board/)
        t.deepEqual(s.calls(), [], "esptool never ran")
    },
)

async function serve(body: Uint8Array): Promise<{ url: string; hits: string[]; server: Server }> {
    const hits: string[] = []
    const server = createServer((req, res) => {
        hits.push(req.url ?? "")
        res.writeHead(200)
        res.end(Buffer.from(body))
    })
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve))
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/releases`, hits, server }
}

function cache(): string {
    const dir = mkdtempSync(join(tmpdir(), "fieldlink-runtime-cache-"))
    removeOnExit(dir)
    return dir
}

test.serial(
    "a download is verified against the recorded sha256, cached under the release, and used from the cache",
    async t => {
        const image = syntheticRuntimeImage({ chip: "esp32c3" })
        const mirror = await serve(image)
        t.teardown(() => mirror.server.close())
        const env = { FIELDLINK_RUNTIME_MIRROR: mirror.url, FIELDLINK_CACHE_DIR: cache() }
        const hashes = { [XIAO_FILE]: sha256(image) }
        const first = await obtainRuntime({ profile: xiao, env, hashes })
        t.regex(
            first.source,
            /^downloaded http:\/\/127\.0\.0\.1:\d+\/releases\/devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin \(sha256 verified; cached as .*runtime\/v2\.16\.1\/devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin\)$/,
        )
        const second = await obtainRuntime({ profile: xiao, env, hashes })
        t.regex(second.source, /^cached /)
        t.is(mirror.hits.length, 1, "downloaded once")
        t.deepEqual(second.bytes, image)
        // A cached file that no longer matches (tampered, or from another release) is refused.
        writeFileSync(
            join(env.FIELDLINK_CACHE_DIR, "runtime", "v2.16.1", XIAO_FILE),
            syntheticRuntimeImage({ chip: "esp32c3", bytes: 1024 * 48 }),
        )
        await t.throwsAsync(obtainRuntime({ profile: xiao, env, hashes }), {
            message:
                /the cached runtime .* is not the published one: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}[\s\S]*--refresh-runtime/,
        })
    },
)

test.serial("a download whose sha256 differs is refused and not cached", async t => {
    const mirror = await serve(syntheticRuntimeImage({ chip: "esp32c3" }))
    t.teardown(() => mirror.server.close())
    const env = { FIELDLINK_RUNTIME_MIRROR: mirror.url, FIELDLINK_CACHE_DIR: cache() }
    const e = await t.throwsAsync(
        obtainRuntime({ profile: xiao, env, hashes: { [XIAO_FILE]: "0".repeat(64) } }),
    )
    t.regex(
        e!.message,
        /the runtime downloaded from .* was refused: its sha256 is [0-9a-f]{64}, expected 0{64} \(the v2\.16\.1 release's devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin\)/,
    )
    t.regex(e!.message, /nothing was written or cached/)
    t.false(existsSync(join(env.FIELDLINK_CACHE_DIR, "runtime", "v2.16.1", XIAO_FILE)))
})

test.serial(
    "an image without a recorded sha256 is never downloaded; the message says what to do",
    async t => {
        const mirror = await serve(syntheticRuntimeImage({ chip: "esp32c3" }))
        t.teardown(() => mirror.server.close())
        const e = await t.throwsAsync(
            obtainRuntime({
                profile: xiao,
                env: { FIELDLINK_RUNTIME_MIRROR: mirror.url, FIELDLINK_CACHE_DIR: cache() },
                hashes: {},
            }),
        )
        t.regex(
            e!.message,
            /cannot be downloaded safely: no sha256 is recorded for devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin of devicescript-esp32 v2\.16\.1/,
        )
        t.regex(
            e!.message,
            /download it yourself from https:\/\/github\.com\/microsoft\/devicescript-esp32\/releases\/download\/v2\.16\.1\/devicescript-esp32c3-seeed_xiao_esp32c3-0x0\.bin and pass it with --runtime-image FILE/,
        )
        t.regex(e!.message, /maintainers: record its sha256 in boards\/runtime-release\.ts/)
        t.deepEqual(mirror.hits, [], "nothing was fetched")
    },
)

test.serial("fieldlink flash without --runtime-image uses the pinned catalogue as it stands", async t => {
    const s = makeStandIns(t)
    const mirror = await serve(s.runtimeBytes)
    t.teardown(() => mirror.server.close())
    const r = await runFieldlink(
        [
            "flash",
            "--board",
            "seeed_xiao_esp32c3",
            "--wifi-ssid",
            "x",
            "--broker",
            "mqtt://10.0.0.2",
            "--device-id",
            "c3-2",
            "--output",
            join(s.dir, "o.bin"),
        ],
        { ...s.env, FIELDLINK_RUNTIME_MIRROR: mirror.url },
    )
    t.is(r.code, 1)
    // The catalogue's state decides which refusal: unverified, or a stand-in that is not the release's image.
    if (RUNTIME_IMAGE_SHA256[XIAO_FILE] === undefined)
        t.regex(r.stderr, /cannot be downloaded safely: no sha256 is recorded/)
    else t.regex(r.stderr, /was refused: its sha256 is/)
})

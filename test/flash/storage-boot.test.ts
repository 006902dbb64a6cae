// The storage of a bundled image, booted as a board boots it: the DeviceScript VM gets
// the board's flash size (256 KiB) with the storage as its flash, and nothing else. The
// runtime must mount it (never format it) and start the stored program with the stored
// settings. A storage the runtime would not take is refused by readBundle before that.
import test from "ava"
import { loadProfile } from "../../boards/profile.js"
import { bundle, readBundle } from "../../flash/bundle.js"
import { FstorError, runtimeHeaderPages } from "../../flash/fstor.js"
import { imageStorage } from "../../flash/image.js"
import { buildStorage } from "../../flash/storage.js"
import { SimulatedBoard, type DmesgLine } from "../../devs-host/index.js"
import { firmwareProgram } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"
import { standInRuntimeImage } from "./support/standins.js"

const layout = loadProfile("seeed_xiao_esp32c3").layout!
const FLASH_BYTES = layout.fstorPages * layout.pageSize

/** Boots `storage` in a VM with `size` bytes of flash; returns the runtime's and the program's lines. */
async function boot(
    t: import("ava").ExecutionContext,
    storage: Uint8Array,
    size: number,
): Promise<{ lines: string[]; board: SimulatedBoard }> {
    const lines: string[] = []
    const board = new SimulatedBoard({
        deviceId: "storage-boot",
        flash: { size, load: () => storage },
        onDmesg: (line: DmesgLine) =>
            lines.push(line.kind === "runtime" ? `runtime: ${line.text}` : line.text),
        onError: e => lines.push(`error: ${e.message}`),
        // No broker here: the firmware's connection attempts go nowhere.
        socket: {
            connect: (_target, events) => (
                setImmediate(() => events.error("no network in this test")),
                { write: () => undefined, end: () => undefined, destroy: () => undefined }
            ),
        },
        startTimeoutMs: 20_000,
    })
    t.teardown(() => board.stop())
    await board.start()
    return { lines, board }
}

test.serial(
    "the bundled storage boots: mounted as it is, the stored program starts with the stored settings",
    async t => {
        const program = await firmwareProgram()
        const settings = {
            device_id: "boot-7",
            mqtt_host: "192.168.4.2",
            mqtt_port: 1884,
            wifi_ssid: "fieldnet",
            wifi_pass: "x",
        }
        const image = await bundle({ runtime: standInRuntimeImage(), program, settings, layout })
        t.is(FLASH_BYTES, 256 * 1024)
        const { lines } = await boot(t, imageStorage(image, layout).slice(), FLASH_BYTES)
        await waitFor(() => lines.some(l => /^fieldlink: device /.test(l)), {
            what: "the firmware's first line",
            timeoutMs: 15_000,
        })
        const text = lines.join("\n")
        t.regex(text, /runtime: fstor: mounted/)
        t.notRegex(
            text,
            /formatting now|mount failure/,
            "the runtime must not erase the storage it was given",
        )
        t.regex(
            text,
            /fieldlink: device boot-7 fw \S+ broker 192\.168\.4\.2:1884/,
            "the program runs with the settings from the storage",
        )
    },
)

test.serial(
    "a storage made for another size is formatted by the runtime: readBundle refuses it first",
    async t => {
        const program = await firmwareProgram()
        // 32 pages (128 KiB) where the board has 64: header page count and page count differ.
        const small = await buildStorage({
            program,
            settings: { device_id: "boot-8" },
            pageSize: 4096,
            pages: 32,
        })
        const padded = new Uint8Array(FLASH_BYTES).fill(0xff)
        padded.set(small)
        const image = new Uint8Array(layout.fstorOffset + FLASH_BYTES).fill(0xff)
        image.set(standInRuntimeImage())
        image.set(padded, layout.fstorOffset)
        const e = t.throws(() => readBundle(image, layout), { instanceOf: FstorError })
        t.regex(
            e!.message,
            /the storage header says page count 32, header page count 2; the board's runtime expects page count 64, header page count 4: it would not mount this storage and would erase it/,
        )
        // What the board would do with it: the check above is the runtime's own.
        const { lines } = await boot(t, padded, FLASH_BYTES)
        await waitFor(() => lines.some(l => /fstor: (formatting now|mounted)/.test(l)), {
            what: "the runtime to mount its storage",
            timeoutMs: 10_000,
        })
        t.regex(lines.join("\n"), /runtime: fstor: formatting now/)
    },
)

test("the runtime's header pages: a sixteenth of the pages, at least 1, at most 240", t => {
    t.is(runtimeHeaderPages(64), 4)
    t.is(runtimeHeaderPages(8), 1)
    t.is(runtimeHeaderPages(32), 2)
    t.is(runtimeHeaderPages(16 * 1000), 0xf0)
})

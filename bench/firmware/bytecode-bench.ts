/**
 * Bytecode size of the two clients, from `devs build --stats`, two ways:
 *
 *  - by subtraction: three small programs that do the same thing (settings, a socket,
 *    one sample every 10 s) — without a client, with ours, with the library's — so a
 *    client's cost is its program's size less the baseline's, string literals and the
 *    runtime-library functions it pulls in included;
 *  - by attribution: the bytes of the functions the compiler maps to the client's source
 *    files (string literals cannot be attributed this way).
 */
import type { DevsBuild } from "./devs-build.js"
import { functionBytesIn } from "./devs-build.js"
import { kbRow, vs, type Row, type Section } from "./table.js"

/** The figure the issue gives for the library client. */
const LIBRARY_REFERENCE_BYTES = 9.3 * 1024

export interface SizeBuilds {
    none: DevsBuild
    ours: DevsBuild
    library: DevsBuild
    /** firmware/src/main.ts built in the bench project, for its debug information. */
    firmware: DevsBuild
    /** The firmware's bytecode as the simulator and `fieldlink build` make it. */
    flashedFirmwareBytes: number
}

const CODEC = /^protocol\/mqtt\//
const CLIENT_SHELL = /^firmware\/src\/mqtt\//
// The modules only the client uses: connection state, keep-alive timer, backoff, the ByteKit.
const CLIENT_CORE =
    /^firmware\/src\/(core\/(connection|keepalive|backoff)\.ts|bytes-ds\.ts)$|^protocol\/bytes\.ts$/
const LIBRARY_CLIENT = /@devicescript\/net\/src\/mqtt\.ts$/

export function bytecodeSection(b: SizeBuilds): Section {
    const base = b.none.bytecode.length
    const ours = b.ours.bytecode.length - base
    const library = b.library.bytecode.length - base
    const libraryFns = functionBytesIn(b.library, LIBRARY_CLIENT)
    const codec = functionBytesIn(b.firmware, CODEC)
    const shell = functionBytesIn(b.firmware, CLIENT_SHELL)
    const core = functionBytesIn(b.firmware, CLIENT_CORE)
    const rows: Row[] = [
        kbRow("baseline program, no MQTT client (size-none.ts)", base, "measured"),
        kbRow("library client, the issue's earlier figure", LIBRARY_REFERENCE_BYTES, "reference"),
        kbRow(
            "library client: its program − baseline",
            library,
            "measured",
            vs(library, LIBRARY_REFERENCE_BYTES, "9.3 KB"),
        ),
        kbRow("ours: its program − baseline", ours, "measured", vs(ours, library, "library")),
        kbRow("library program: functions of net/src/mqtt.ts", libraryFns, "measured"),
        kbRow("firmware: functions of protocol/mqtt/*", codec, "measured"),
        kbRow("firmware: functions of firmware/src/mqtt/*", shell, "measured"),
        kbRow(
            "firmware: the two above",
            codec + shell,
            "measured",
            vs(codec + shell, libraryFns, "library fns"),
        ),
        kbRow(
            "  + client-only core (connection, keepalive, backoff, bytes)",
            codec + shell + core,
            "measured",
            vs(codec + shell + core, libraryFns, "library fns"),
        ),
        kbRow("firmware as built for a board (all of it)", b.flashedFirmwareBytes, "measured"),
    ]
    const notes = [
        "1 KB = 1024 B; a program's size is its whole .devs file (header, functions, strings)",
        "subtraction counts all a client pulls in: its strings and the runtime-library functions it uses",
        `attribution counts function bytes only; string literals (${(b.firmware.stringBytes / 1024).toFixed(1)} KB ` +
            "in the firmware) are not assigned to files by the compiler",
    ]
    if (b.firmware.bytecode.length !== b.flashedFirmwareBytes) {
        notes.push(
            `attribution reads the firmware built in the bench project (${b.firmware.bytecode.length} B, for its ` +
                `debug information); the one built for boards is ${b.flashedFirmwareBytes} B`,
        )
    }
    return { title: "Bytecode size (devs build --stats)", rows, notes }
}

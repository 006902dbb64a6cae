/**
 * esptool, Espressif's flashing tool: finding it, running it, and reading what it says
 * (progress, MAC address, chip, and the failures a person meets) into sentences with
 * what to do. Argument lists and output parsing are pure; `runEsptool` is the I/O.
 *
 * Sub-commands and options are written the esptool 4 way (`write_flash`, `read_mac`,
 * `default_reset`): Debian's esptool is 4.x, and esptool 5 still accepts them.
 */
import { spawn, spawnSync } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"
import { FlashError } from "./errors.js"
import { permissionDenied } from "./ports.js"
import { chipNameOfId } from "@fieldlink/boards/runtime-release"

export interface Esptool {
    command: string
    /** Arguments before esptool's own, e.g. ["-m", "esptool"] for `python3 -m esptool`. */
    prefix: string[]
    /** As a person would type it. */
    display: string
}

export const INSTALL_HINTS = [
    "install it with: pip install esptool   (or: pipx install esptool)",
    "on Debian or Ubuntu: sudo apt install esptool",
    "or name it with --esptool PATH",
]

function executable(path: string): boolean {
    try {
        accessSync(path, constants.X_OK)
        return true
    } catch {
        return false
    }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
        const candidate = join(dir, name)
        if (executable(candidate)) return candidate
    }
    return undefined
}

/** --esptool (or $ESPTOOL), else `esptool` / `esptool.py` on PATH, else `python3 -m esptool`. */
export function findEsptool(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): Esptool {
    const wanted = explicit ?? env.ESPTOOL
    if (wanted) {
        const path = wanted.includes("/") ? (executable(wanted) ? wanted : undefined) : onPath(wanted, env)
        if (!path)
            throw new FlashError(
                `esptool not found at ${wanted}${explicit ? " (--esptool)" : " ($ESPTOOL)"}`,
                INSTALL_HINTS,
            )
        return { command: path, prefix: [], display: path }
    }
    for (const name of ["esptool", "esptool.py"]) {
        const path = onPath(name, env)
        if (path) return { command: path, prefix: [], display: name }
    }
    for (const python of ["python3", "python"]) {
        const path = onPath(python, env)
        if (!path) continue
        const probe = spawnSync(path, ["-m", "esptool", "version"], { env, timeout: 15_000, stdio: "ignore" })
        if (probe.status === 0)
            return { command: path, prefix: ["-m", "esptool"], display: `${python} -m esptool` }
    }
    throw new FlashError(
        "esptool is not installed (looked for esptool and esptool.py on PATH, and for python3 -m esptool); fieldlink flash writes the board with it",
        INSTALL_HINTS,
    )
}

/** The oldest esptool fieldlink accepts: 4.5 writes and verifies the C3/S3 images as DeviceScript's do, and reads the chip ids checked here. */
export const MIN_ESPTOOL = { major: 4, minor: 5 } as const
export const UPGRADE_COMMAND = "pip install --upgrade 'esptool>=4.5'"

/** The version in `esptool version` output ("esptool.py v4.7.0", "esptool v5.0.2", or a bare "4.7.0"). */
export function parseEsptoolVersion(
    output: string,
): { major: number; minor: number; text: string } | undefined {
    const m = /(?:esptool(?:\.py)?\s+v?|^)(\d+)\.(\d+)(?:\.(\d+))?/im.exec(output)
    return m
        ? {
              major: Number(m[1]),
              minor: Number(m[2]),
              text: `${m[1]}.${m[2]}${m[3] !== undefined ? "." + m[3] : ""}`,
          }
        : undefined
}

/** Refuses an esptool older than 4.5, with the upgrade command. */
export function checkEsptoolVersion(output: string, tool: Esptool): FlashError | undefined {
    const v = parseEsptoolVersion(output)
    if (!v)
        return new FlashError(
            `could not tell which version ${tool.display} is (its 'version' command said: ${output.trim().split("\n").slice(-2).join(" | ") || "nothing"})`,
            [`install esptool 4.5 or newer: ${UPGRADE_COMMAND}`, "or name another one with --esptool PATH"],
        )
    if (v.major > MIN_ESPTOOL.major || (v.major === MIN_ESPTOOL.major && v.minor >= MIN_ESPTOOL.minor))
        return undefined
    return new FlashError(
        `${tool.display} is version ${v.text}; fieldlink needs esptool ${MIN_ESPTOOL.major}.${MIN_ESPTOOL.minor} or newer`,
        [
            `upgrade it: ${UPGRADE_COMMAND}   (pipx: pipx upgrade esptool)`,
            "Debian and Ubuntu packages may be older: install it with pip or pipx instead, or name a newer one with --esptool PATH",
        ],
    )
}

export interface Target {
    /** DeviceScript's arch id, which is also esptool's --chip name (esp32, esp32c3, ...). */
    chip: string
    port: string
    baud: number
}

function common(t: Target): string[] {
    return ["--chip", t.chip, "--port", t.port, "--baud", String(t.baud), "--before", "default_reset"]
}

/** Leaves the board in its bootloader: the old firmware must not run (and say `online`) before the write. */
export const VERSION_ARGS = ["version"]

export function readMacArgs(t: Target): string[] {
    return [...common(t), "--after", "no_reset", "read_mac"]
}

export function writeFlashArgs(
    t: Target,
    offset: number,
    file: string,
    extra: readonly string[] = [],
): string[] {
    return [...common(t), "--after", "hard_reset", "write_flash", ...extra, "0x" + offset.toString(16), file]
}

/** Percent written from one line of esptool output ("Writing at 0x00010000... (12 %)" or esptool 5's bar). */
export function parseProgress(line: string): number | undefined {
    const m = /Writing at 0x[0-9a-f]+\D*?(\d+(?:\.\d+)?)\s*%/i.exec(line)
    return m ? Math.min(100, Number(m[1])) : undefined
}

export function parseMac(output: string): string | undefined {
    const m = /^\s*MAC:\s*((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\s*$/im.exec(output)
    return m ? m[1].toLowerCase() : undefined
}

/** The chip esptool found, as it names it ("ESP32-C3"). */
export function parseChip(output: string): string | undefined {
    const m =
        /(?:Chip is|Chip type:)\s+(ESP32(?:-[A-Z0-9]+)?)/i.exec(output) ??
        /This chip is (ESP32(?:-[A-Z0-9]+)?)/i.exec(output)
    return m ? m[1].toUpperCase() : undefined
}

/** "ESP32-C3" → "esp32c3" (DeviceScript's arch id). */
export function archOf(chipName: string): string {
    return chipName.toLowerCase().replace(/-/g, "")
}

export interface FailureContext {
    port: string
    /** The profile's chip, e.g. "ESP32-C3". */
    expectedChip: string
    boardId: string
    /** Profiles for a chip, to suggest after a mismatch. */
    profilesFor(arch: string): string[]
}

/** Turns a failed esptool run into what happened and what to try. */
export function diagnose(output: string, code: number | null, ctx: FailureContext): FlashError {
    if (/Permission denied|\[Errno 13\]/i.test(output)) return permissionDenied(ctx.port)
    if (/Device or resource busy|\[Errno 16\]|Could not exclusively lock port/i.test(output))
        return new FlashError(`the port ${ctx.port} is busy: another program has it open`, [
            "close serial monitors (screen, minicom, the Arduino IDE, a `fieldlink gateway` using it) and run the command again",
            "ModemManager sometimes grabs new ports: wait a few seconds, or stop it",
        ])
    const mismatch = /This chip is (ESP32(?:-[A-Z0-9]+)?),? not (ESP32(?:-[A-Z0-9]+)?)/i.exec(output)
    if (mismatch) {
        const found = mismatch[1].toUpperCase()
        const others = ctx.profilesFor(archOf(found))
        return new FlashError(
            `the board on ${ctx.port} is an ${found}, but ${ctx.boardId} is an ${ctx.expectedChip} board`,
            [
                others.length > 0
                    ? `flash it with a profile for the ${found}: ${others.map(id => `--board ${id}`).join(", ")}`
                    : `no profile is made for the ${found} yet: copy one in boards/ and set devicescript_board to an ${found} board of DeviceScript`,
                "or plug in the board you meant to flash",
            ],
        )
    }
    const chipId = /Unexpected chip id in image\.?\s*Expected (\d+) but value was (\d+)/i.exec(output)
    if (chipId) {
        const [expected, found] = [Number(chipId[1]), Number(chipId[2])]
        return new FlashError(
            `esptool refused the image: its header is for chip id ${found} (${chipNameOfId(found) ?? "unknown"}), but the board is chip id ${expected} (${chipNameOfId(expected) ?? "unknown"}). esptool compares byte 12 of the image with the chip it writes to, and writes nothing when they differ`,
            [
                `the runtime image is for another chip: use the DeviceScript runtime made for ${ctx.boardId} (leave out --runtime-image to have fieldlink fetch it), or a profile for the ${chipNameOfId(found) ?? "image's"} chip`,
                "if you wrote the image with your own esptool command, pass the --chip of the board and the image made for it",
            ],
        )
    }
    if (/could not open port.*(No such file|\[Errno 2\])/i.test(output))
        return new FlashError(`the port ${ctx.port} disappeared`, [
            "is the board still plugged in? Boards with native USB change port while they reset: run the command again",
        ])
    if (
        /No serial data received|Failed to connect|Wrong boot mode detected|Timed out waiting for packet header|Invalid head of packet/i.test(
            output,
        )
    )
        return new FlashError(`esptool could not talk to the bootloader on ${ctx.port}`, [
            "put the board in download mode: hold BOOT (IO0/IO9), press and release RESET, then release BOOT, and run the command again",
            "try a lower speed: --baud 115200",
            "check that --port is the board's port and not another serial device",
        ])
    const last = output.trim().split(/\r?\n/).filter(Boolean).slice(-3).join(" | ")
    return new FlashError(`esptool failed (exit code ${code ?? "killed"}): ${last || "no output"}`, [
        "run it again; if it keeps failing, try --baud 115200 or another USB cable or port",
    ])
}

export interface EsptoolRun {
    code: number | null
    output: string
}

/** Runs esptool; `onLine` sees every line (also the \r-separated progress updates). */
export function runEsptool(
    tool: Esptool,
    args: string[],
    onLine: (line: string) => void = () => undefined,
): Promise<EsptoolRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(tool.command, [...tool.prefix, ...args], { stdio: ["ignore", "pipe", "pipe"] })
        let output = ""
        let partial = ""
        const take = (chunk: Buffer) => {
            const text = chunk.toString("utf8")
            output += text
            const parts = (partial + text).split(/\r\n|\r|\n/)
            partial = parts.pop() ?? ""
            for (const line of parts) if (line.trim()) onLine(line)
        }
        child.stdout!.on("data", take)
        child.stderr!.on("data", take)
        child.once("error", e =>
            reject(
                new FlashError(
                    `cannot run ${tool.display}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
                    INSTALL_HINTS,
                ),
            ),
        )
        child.once("close", code => {
            if (partial.trim()) onLine(partial)
            resolve({ code, output })
        })
    })
}

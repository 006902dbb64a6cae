// Per-test stand-ins for the hardware side of `fieldlink flash`, and a runner for the
// command with its own environment:
//  - a bin folder whose `esptool` is the stand-in (./esptool-stand-in.ts), put first on PATH;
//  - a file standing in for the board's serial port (--port);
//  - a small SYNTHETIC runtime image (not DeviceScript's, ./images.ts): an ESP32-C3 image
//    header, the runtime's partition table and a pattern, enough for fieldlink's checks
//    and bundling, and for the tests to find again;
//  - the stand-in's folder, where it records its calls, keeps the emulated flash and the
//    stand-in board's log and pid. The board is stopped in the test's teardown.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ExecutionContext } from "ava"
import { removeOnExit } from "../../support/cleanup.js"
import { runCli, type CliResult } from "../../support/cli.js"
import { syntheticRuntimeImage } from "./images.js"

const STAND_IN_ESPTOOL = fileURLToPath(new URL("./esptool-stand-in.ts", import.meta.url))

export interface StandIns {
    dir: string
    /** The whole PATH of the runs: the stand-in esptool, or nothing (path "none"). */
    binDir: string
    /** A file standing in for the serial port. */
    port: string
    /** The stand-in runtime image. */
    runtime: string
    runtimeBytes: Uint8Array
    /** The environment for `fieldlink flash` runs. */
    env: NodeJS.ProcessEnv
    /** Every esptool invocation so far, as argument lists. */
    calls(): string[][]
    /** The stand-in board's log so far. */
    boardLog(): string
    /** The networks the firmware added to the stand-in WiFi service. */
    wifi(): { ssid: string; password: string }[]
}

/** 64 KiB, for an ESP32-C3 unless another chip is named (./images.ts). */
export function standInRuntimeImage(chip = "esp32c3"): Uint8Array {
    return syntheticRuntimeImage({ chip })
}

function lines(file: string): string[] {
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []
}

export function makeStandIns(
    t: ExecutionContext,
    options: { mode?: string; path?: "stand-in" | "none" } = {},
): StandIns {
    const dir = mkdtempSync(join(tmpdir(), "fieldlink-flash-test-"))
    removeOnExit(dir)
    const binDir = join(dir, "bin")
    const standinDir = join(dir, "stand-in")
    mkdirSync(binDir)
    mkdirSync(standinDir)
    if (options.path !== "none") {
        const script = join(binDir, "esptool")
        writeFileSync(
            script,
            `#!/bin/sh\n# stand-in esptool for the fieldlink tests\nexec "${process.execPath}" --import tsx --conditions=source "${STAND_IN_ESPTOOL}" "$@"\n`,
        )
        chmodSync(script, 0o755)
    }
    const port = join(dir, "ttyUSB-stand-in")
    writeFileSync(port, "")
    const runtime = join(dir, "devicescript-esp32c3-seeed_xiao_esp32c3-0x0.bin")
    const runtimeBytes = standInRuntimeImage()
    writeFileSync(runtime, runtimeBytes)
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        // Only the stand-in: a real esptool (or python3 -m esptool) must not be found.
        PATH: binDir,
        FIELDLINK_STANDIN_DIR: standinDir,
        FIELDLINK_STANDIN_OWNER: String(process.pid),
        FIELDLINK_STANDIN_MODE: options.mode ?? "ok",
        FIELDLINK_CACHE_DIR: join(dir, "cache"),
        NO_COLOR: "1",
    }
    t.teardown(() => {
        const pidFile = join(standinDir, "board.pid")
        if (!existsSync(pidFile)) return
        try {
            process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM")
        } catch {
            // already gone
        }
    })
    return {
        dir,
        binDir,
        port,
        runtime,
        runtimeBytes,
        env,
        calls: () => lines(join(standinDir, "calls.jsonl")).map(l => JSON.parse(l) as string[]),
        boardLog: () =>
            existsSync(join(standinDir, "board.log"))
                ? readFileSync(join(standinDir, "board.log"), "utf8")
                : "",
        wifi: () =>
            lines(join(standinDir, "wifi.jsonl")).map(
                l => JSON.parse(l) as { ssid: string; password: string },
            ),
    }
}

export type Run = CliResult

/** Runs `fieldlink <args>` as a user would, with `env`, bounded by `timeoutMs`. */
export function runFieldlink(
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
    timeoutMs = 60_000,
): Promise<Run> {
    return runCli(args, timeoutMs, env)
}

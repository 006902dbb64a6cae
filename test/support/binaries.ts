// Locating the real programs the tests drive (Debian's mosquitto, mosquitto_sub, …) and
// the one policy for when one is missing: on CI that is an error (CI must run these
// tests, never skip them); on a developer machine the test may log why and skip.
import { accessSync, constants } from "node:fs"
import path from "node:path"

/** Debian installs the broker in /usr/sbin, which is not on a normal user's PATH. */
const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"]

/** Absolute path of an executable named `name` on PATH or in the sbin folders, or undefined. */
export function findBinary(name: string): string | undefined {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_DIRS]
    for (const dir of dirs) {
        const candidate = path.join(dir, name)
        try {
            accessSync(candidate, constants.X_OK)
            return candidate
        } catch {
            // not here
        }
    }
    return undefined
}

export function isCI(): boolean {
    const ci = process.env.CI
    return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false"
}

export type Availability = { ok: true; paths: Record<string, string> } | { ok: false; reason: string }

/**
 * Whether every program in `names` can be found. On CI a missing one throws; elsewhere the
 * result carries a `reason` a test can `t.log` before skipping.
 */
export function requireBinaries(names: readonly string[], debianPackage: string): Availability {
    const paths: Record<string, string> = {}
    const missing: string[] = []
    for (const name of names) {
        const found = findBinary(name)
        if (found === undefined) missing.push(name)
        else paths[name] = found
    }
    if (missing.length === 0) return { ok: true, paths }
    const reason =
        `${missing.join(", ")} not found on PATH or in ${EXTRA_DIRS.join(", ")}; ` +
        `install the Debian package(s) ${debianPackage} (apt-get install ${debianPackage})`
    if (isCI()) throw new Error(`CI must run the broker tests, not skip them: ${reason}`)
    return { ok: false, reason }
}

/** The error fixtures throw when a program is missing outside CI; tests may catch it and skip. */
export class MissingBinaryError extends Error {
    constructor(readonly reason: string) {
        super(reason)
        this.name = "MissingBinaryError"
    }
}

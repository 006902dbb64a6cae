/** fieldlink's own version (package.json), sent to Home Assistant as the discovery origin. */
import { readFileSync } from "node:fs"

export function fieldlinkVersion(): string {
    try {
        const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown }
        return typeof pkg.version === "string" ? pkg.version : "unknown"
    } catch {
        return "unknown"
    }
}

/**
 * The environment the shipped systemd unit (gateway/deploy/fieldlink-gateway.service)
 * gives the gateway, so that benches and the deploy check run it as the service does
 * instead of repeating the unit's settings (which would drift apart from it).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const GATEWAY_UNIT = fileURLToPath(
    new URL("../../gateway/deploy/fieldlink-gateway.service", import.meta.url),
)

/**
 * The variables a unit's `Environment=` lines set, as systemd reads them: several
 * assignments per line, separated by spaces, each optionally in double or single quotes;
 * a later assignment wins; an empty `Environment=` clears what came before. Specifiers
 * (`%h`) and backslash escapes are not expanded: the shipped unit uses neither, and a
 * value holding one is refused rather than passed on wrong.
 */
export function unitEnvironment(text: string, where = "unit"): Record<string, string> {
    const env: Record<string, string> = {}
    text.split("\n").forEach((raw, index) => {
        const line = raw.trim()
        if (!line.startsWith("Environment=")) return
        const value = line.slice("Environment=".length).trim()
        if (value === "") {
            for (const key of Object.keys(env)) delete env[key]
            return
        }
        for (const word of splitWords(value, `${where}:${index + 1}`)) {
            const eq = word.indexOf("=")
            if (eq <= 0) throw new Error(`${where}:${index + 1}: "${word}" is not NAME=value`)
            env[word.slice(0, eq)] = word.slice(eq + 1)
        }
    })
    return env
}

function splitWords(value: string, where: string): string[] {
    if (/[\\%]/.test(value))
        throw new Error(`${where}: escapes and specifiers (\\, %) are not read here: "${value}"`)
    // A word runs to the next space outside quotes; its quotes are removed (B="x y" is B=x y).
    const words = value.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []
    return words.map(word => word.replace(/"([^"]*)"|'([^']*)'/g, (_, dq, sq) => dq ?? sq))
}

/** The shipped unit's environment. */
export function serviceEnvironment(unit = GATEWAY_UNIT): Record<string, string> {
    return unitEnvironment(readFileSync(unit, "utf8"), unit)
}

/**
 * `.env` files of the firmware project (firmware/.env.defaults, firmware/.env.local), read
 * the way DeviceScript reads them for `devs deploy`: `KEY=value` lines, `#` comments, a
 * value that parses as JSON is that value (1883 → a number, true → a boolean) and any
 * other value is text. A value in double quotes is JSON text, so it may hold `#` and
 * surrounding spaces. Pure.
 */

export interface EnvEntry {
    key: string
    value: string | number | boolean
    line: number
}

export interface EnvParse {
    entries: EnvEntry[]
    /** Lines that are neither blank, comments nor KEY=value, by number. */
    problems: { line: number; text: string }[]
}

function valueOf(raw: string): string | number | boolean {
    const text = raw.trim()
    if (text.startsWith('"')) {
        const end = text.lastIndexOf('"')
        try {
            if (end > 0) return JSON.parse(text.slice(0, end + 1)) as string
        } catch {
            // not valid JSON text: keep it as written
        }
        return text
    }
    const bare = text.replace(/\s+#.*$/, "").trim()
    if (bare === "") return ""
    try {
        const v = JSON.parse(bare) as unknown
        if (typeof v === "number" || typeof v === "boolean") return v
    } catch {
        // plain text
    }
    return bare
}

export function parseEnvFile(text: string): EnvParse {
    const out: EnvParse = { entries: [], problems: [] }
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.trim()
        if (line === "" || line.startsWith("#")) return
        const m = /^(?:export\s+)?([^=\s]+)\s*=(.*)$/.exec(line)
        if (!m) out.problems.push({ line: i + 1, text: raw })
        else out.entries.push({ key: m[1], value: valueOf(m[2]), line: i + 1 })
    })
    return out
}

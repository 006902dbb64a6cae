/**
 * Mistakes in a file a person wrote (gateway config, simulator scenario, board profile)
 * as sentences: where (file, line, path), what was found, what was expected, and a hint
 * when one helps. Raw validator output is never shown.
 */
import type { ErrorObject } from "ajv"

export class ConfigError extends Error {
    constructor(
        readonly source: string,
        readonly problems: string[],
    ) {
        super(
            `${source}: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`}:\n  ${problems.join("\n  ")}`,
        )
        this.name = "ConfigError"
    }
}

/** "/ports/0/baudRate" → "ports[0].baudRate". */
export function pathText(segments: (string | number)[]): string {
    let out = ""
    for (const s of segments)
        out += typeof s === "number" || /^\d+$/.test(String(s)) ? `[${s}]` : out === "" ? String(s) : `.${s}`
    return out === "" ? "(top level)" : out
}

export function pointerSegments(pointer: string): string[] {
    return pointer === ""
        ? []
        : pointer
              .slice(1)
              .split("/")
              .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"))
}

/** A found value, short and unambiguous: strings quoted, objects summarised. */
export function shown(value: unknown): string {
    if (value === undefined) return "nothing"
    if (typeof value === "string")
        return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value)
    if (Array.isArray(value)) return `a list of ${value.length}`
    if (value === null) return "null"
    if (typeof value === "object") return "an object"
    return String(value)
}

const PATTERN_MEANING: Record<string, string> = {
    "^[A-Za-z0-9_-]{1,64}$": "1 to 64 of A-Z a-z 0-9 _ -",
    "^mqtts?://": "a URL starting with mqtt:// or mqtts://",
    "^[0-9A-Fa-f]{4}$": "4 hex digits, as lsusb shows them",
    "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$":
        "a command name: the part after cmd/, one or more levels of A-Z a-z 0-9 _ - separated by /",
}

function typeName(t: unknown): string {
    const names: Record<string, string> = {
        integer: "a whole number",
        number: "a number",
        string: "a string",
        boolean: "true or false",
        object: "a mapping (key: value)",
        array: "a list",
    }
    const list = Array.isArray(t) ? t : String(t).split(",")
    return list.map(x => names[x] ?? x).join(" or ")
}

function closest(word: string, candidates: string[]): string | undefined {
    let best: string | undefined
    let bestScore = Infinity
    for (const c of candidates) {
        const d = distance(word.toLowerCase(), c.toLowerCase())
        if (d < bestScore) [best, bestScore] = [c, d]
    }
    return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i)
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0]
        row[0] = i
        for (let j = 1; j <= b.length; j++) {
            const keep = row[j]
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
            prev = keep
        }
    }
    return row[b.length]
}

export interface Located {
    path: (string | number)[]
    message: string
}

/** One ajv error → a path and a sentence. `valueAt` reads the document the user wrote. */
export function describeAjvError(
    e: ErrorObject,
    valueAt: (path: string[]) => unknown,
    schemaAt: (path: string[]) => Record<string, unknown> | undefined,
): Located {
    const path = pointerSegments(e.instancePath)
    const found = valueAt(path)
    const p = e.params as Record<string, unknown>
    switch (e.keyword) {
        case "required": {
            const key = String(p.missingProperty)
            const description = schemaAt([...path, key])?.description
            return {
                path: [...path, key],
                message: `found nothing, expected ${key} to be set${description ? ` (${String(description).replace(/\.$/, "")})` : ""}`,
            }
        }
        case "additionalProperties": {
            const key = String(p.additionalProperty)
            const known = Object.keys((schemaAt(path)?.properties as object) ?? {})
            const near = closest(key, known)
            return {
                path: [...path, key],
                message: `unknown key ${JSON.stringify(key)}; expected one of ${known.join(", ")}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ""}`,
            }
        }
        case "type":
            return { path, message: `found ${shown(found)}, expected ${typeName(p.type)}` }
        case "enum":
            return {
                path,
                message: `found ${shown(found)}, expected one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(", ")}`,
            }
        case "minimum":
        case "maximum":
        case "exclusiveMinimum":
        case "exclusiveMaximum": {
            const s = schemaAt(path) ?? {}
            const range =
                s.minimum !== undefined && s.maximum !== undefined
                    ? `from ${s.minimum} to ${s.maximum}`
                    : `${p.comparison} ${p.limit}`
            return { path, message: `found ${shown(found)}, expected a number ${range}` }
        }
        case "pattern":
            return {
                path,
                message: `found ${shown(found)}, expected ${PATTERN_MEANING[String(p.pattern)] ?? `text matching ${p.pattern}`}`,
            }
        case "minLength":
            return { path, message: `found ${shown(found)}, expected at least ${p.limit} character(s)` }
        case "maxLength":
            return { path, message: `found ${shown(found)}, expected at most ${p.limit} characters` }
        case "minItems":
            return {
                path,
                message: `found ${shown(found)}, expected at least ${p.limit} entr${p.limit === 1 ? "y" : "ies"}`,
            }
        case "discriminator": {
            const choices = (
                schemaAt(path)?.oneOf as { properties?: Record<string, { const?: unknown }> }[] | undefined
            )?.map(b => JSON.stringify(b.properties?.[String(p.tag)]?.const))
            return {
                path: [...path, String(p.tag)],
                message: `found ${shown(p.tagValue)}, expected ${choices ? `one of ${choices.join(", ")}` : `a known ${p.tag}`}`,
            }
        }
        case "minProperties":
            return {
                path,
                message: `found an empty mapping, expected at least one of ${Object.keys((schemaAt(path)?.properties as object) ?? {}).join(", ")}`,
            }
        default:
            return { path, message: `found ${shown(found)}: ${e.message ?? e.keyword}` }
    }
}

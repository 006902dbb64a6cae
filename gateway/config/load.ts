/**
 * Reading a configuration: YAML or JSON text → schema check (ajv, defaults filled) →
 * cross-field checks and secrets (resolve.ts) → one frozen GatewayConfig. Every mistake
 * found is reported at once, each with its file line when the text has one.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import { Ajv } from "ajv"
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml"
import { ConfigError, describeAjvError, pathText } from "./errors"
import { resolveConfig, type ResolveContext } from "./resolve"
import { CONFIG_SCHEMA } from "./schema"
import type { GatewayConfig } from "./types"

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
const validate = ajv.compile(CONFIG_SCHEMA as object)

function schemaAt(segments: string[]): Record<string, unknown> | undefined {
    let node: Record<string, unknown> | undefined = CONFIG_SCHEMA as unknown as Record<string, unknown>
    for (const s of segments) {
        if (!node) return undefined
        if (/^\d+$/.test(s) && node.items) node = node.items as Record<string, unknown>
        else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[s]
    }
    return node
}

function valueAt(root: unknown, segments: (string | number)[]): unknown {
    let node = root
    for (const s of segments) {
        if (node === null || typeof node !== "object") return undefined
        node = (node as Record<string, unknown>)[s]
    }
    return node
}

/** Validates a config object (from a file or built from flags) and resolves it. */
export function configFromObject(raw: unknown, source: string, context: ResolveContext, lineOf: (path: (string | number)[]) => number | undefined = () => undefined): GatewayConfig {
    // ajv fills defaults in place: work on a copy so the caller's object stays as written.
    const data = structuredClone(raw)
    const where = (p: (string | number)[]) => {
        const line = lineOf(p)
        return `${line !== undefined ? `line ${line}: ` : ""}${pathText(p)}`
    }
    if (!validate(data)) {
        const seen = new Set<string>()
        const problems: string[] = []
        for (const e of validate.errors ?? []) {
            const located = describeAjvError(e, (p) => valueAt(raw, p), schemaAt)
            const text = `${where(located.path)}: ${located.message}`
            if (!seen.has(text)) problems.push(text)
            seen.add(text)
        }
        throw new ConfigError(source, problems)
    }
    return resolveConfig(data as Record<string, unknown>, source, context, where)
}

/** Reads, parses, validates and resolves the file at `file`. Throws ConfigError. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
    let text: string
    try {
        text = readFileSync(file, "utf8")
    } catch (e) {
        throw new ConfigError(file, [`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`])
    }
    const lineCounter = new LineCounter()
    // YAML 1.2 is a superset of JSON, so one parser serves both and gives line numbers.
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
    if (doc.errors.length > 0) {
        throw new ConfigError(
            file,
            doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`),
        )
    }
    const raw = doc.toJS() as unknown
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(file, [`found ${raw === null ? "an empty file" : "no mapping"}, expected a mapping with broker: and ports:`])
    const lineOf = (p: (string | number)[]) => {
        // The line of the key itself where there is one; a missing key is reported at its parent.
        for (let n = p.length; n > 0; n--) {
            const parent = doc.getIn(p.slice(0, n - 1), true)
            const last = p[n - 1]
            if (isMap(parent)) {
                const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last))
                const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range
                if (range) return lineCounter.linePos(range[0]).line
            } else if (isSeq(parent)) {
                const range = (parent.items[Number(last)] as { range?: [number, number, number] } | undefined)?.range
                if (range) return lineCounter.linePos(range[0]).line
            }
        }
        return undefined
    }
    return configFromObject(raw, file, { baseDir: path.dirname(path.resolve(file)), env }, lineOf)
}

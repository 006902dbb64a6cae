/**
 * Reading a YAML or JSON file a person wrote, keeping line numbers so that every
 * mistake can be reported where it is. YAML 1.2 is a superset of JSON, so one parser
 * serves both.
 */
import { readFileSync } from "node:fs"
import { LineCounter, parseDocument } from "yaml"
import { ConfigError } from "./errors.js"

export interface SourceDocument {
    /** Where it came from, for messages: a file path or a description. */
    source: string
    /** The parsed value, as written. */
    value: unknown
    /** The line of the value at `path`, or of its nearest parent (a missing key is reported at its parent). */
    lineOf(path: (string | number)[]): number | undefined
}

export function parseSourceText(text: string, source: string): SourceDocument {
    const lineCounter = new LineCounter()
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
    if (doc.errors.length > 0)
        throw new ConfigError(
            source,
            doc.errors.map(e => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`),
        )
    const lineOf = (p: (string | number)[]) => {
        for (let n = p.length; n >= 0; n--) {
            const node = doc.getIn(p.slice(0, n), true) as { range?: [number, number, number] } | undefined
            if (node && typeof node === "object" && node.range) return lineCounter.linePos(node.range[0]).line
        }
        return undefined
    }
    return { source, value: doc.toJS() as unknown, lineOf }
}

export function readSourceFile(file: string): SourceDocument {
    let text: string
    try {
        text = readFileSync(file, "utf8")
    } catch (e) {
        throw new ConfigError(file, [
            `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        ])
    }
    return parseSourceText(text, file)
}

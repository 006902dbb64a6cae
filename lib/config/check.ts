/**
 * Reports a document's schema mistakes at once, located (`line 12: faults[1].target: …`),
 * given a validation function for the schema. The function may be compiled at run time
 * (validate.ts) or generated ahead of time (ajv's standalone code, as the packaged gateway
 * does): this module does not load ajv, so a package that brings its own generated
 * validator starts without ajv's compiler.
 */
import type { ErrorObject } from "ajv"
import { ConfigError, describeAjvError, pathText } from "./errors.js"
import type { SourceDocument } from "./document.js"

export type Schema = Record<string, unknown>

/** What ajv's compile() and its standalone code both give: a check that fills defaults in place. */
export interface SchemaValidator {
    (data: unknown): boolean
    errors?: ErrorObject[] | null
}

/** The sub-schema at a path, through `properties`, `items` and discriminated `oneOf` branches. */
export function schemaAt(schema: Schema, segments: string[], value: unknown): Schema | undefined {
    let node: Schema | undefined = schema
    let v = value
    for (const s of segments) {
        if (!node) return undefined
        if (/^\d+$/.test(s) && node.items) node = node.items as Schema
        else {
            const branches = node.oneOf as Schema[] | undefined
            const type = v && typeof v === "object" ? (v as Record<string, unknown>).type : undefined
            const branch = branches?.find(
                b =>
                    ((b.properties as Record<string, Schema> | undefined)?.type?.const ?? undefined) === type,
            )
            node =
                ((branch ?? node).properties as Record<string, Schema> | undefined)?.[s] ??
                (node.properties as Record<string, Schema> | undefined)?.[s]
        }
        v = v && typeof v === "object" ? (v as Record<string, unknown>)[s] : undefined
    }
    return node
}

export function valueAt(root: unknown, segments: (string | number)[]): unknown {
    let node = root
    for (const s of segments) {
        if (node === null || typeof node !== "object") return undefined
        node = (node as Record<string, unknown>)[s]
    }
    return node
}

/** "line 12: faults[1].target" (or just the path when there is no line). */
export function locate(doc: SourceDocument, path: (string | number)[]): string {
    const line = doc.lineOf(path)
    return `${line !== undefined ? `line ${line}: ` : ""}${pathText(path)}`
}

/**
 * The document's value with schema defaults filled in (a copy), or a ConfigError listing
 * every problem. `validate` must be `schema`'s validator, built with validate.ts's options
 * (allErrors, useDefaults): the schema itself words the messages.
 */
export function checkDocument<T>(validate: SchemaValidator, schema: Schema, doc: SourceDocument): T {
    const data = structuredClone(doc.value)
    if (validate(data)) return data as T
    const problems: string[] = []
    for (const e of validate.errors ?? []) {
        const located = describeAjvError(
            e,
            p => valueAt(doc.value, p),
            p => schemaAt(schema, p, doc.value),
        )
        const text = `${locate(doc, located.path)}: ${located.message}`
        if (!problems.includes(text)) problems.push(text)
    }
    throw new ConfigError(doc.source, problems)
}

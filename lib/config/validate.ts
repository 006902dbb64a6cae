/**
 * Checks a document against a JSON Schema compiled by ajv at run time (defaults filled
 * in) and reports every mistake at once, located (check.ts words them).
 */
import { Ajv, type Options } from "ajv"
import { checkDocument, type Schema, type SchemaValidator } from "./check.js"
import type { SourceDocument } from "./document.js"

export { locate, schemaAt, valueAt, type Schema, type SchemaValidator } from "./check.js"

/** ajv's options for every schema here; code generated ahead of time must use the same. */
export const AJV_OPTIONS = {
    allErrors: true,
    useDefaults: true,
    strict: false,
    discriminator: true,
} as const satisfies Options

const ajv = new Ajv(AJV_OPTIONS)
const compiled = new WeakMap<object, SchemaValidator>()

/** `schema`'s validator, compiled once. */
export function compileSchema(schema: Schema): SchemaValidator {
    let validate = compiled.get(schema)
    if (!validate) {
        validate = ajv.compile(schema)
        compiled.set(schema, validate)
    }
    return validate
}

/** The document's value with schema defaults filled in (a copy), or a ConfigError listing every problem. */
export function validateDocument<T>(schema: Schema, doc: SourceDocument): T {
    return checkDocument<T>(compileSchema(schema), schema, doc)
}

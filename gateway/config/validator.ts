/**
 * The configuration schema's validator. Here it is compiled by ajv when first asked for;
 * the packaged gateway (scripts/package.mjs, bundling) replaces this module with the
 * same validator generated ahead of time as ajv standalone code, so that the installed
 * command neither loads ajv's compiler nor compiles the schema at every start. Both are
 * built from CONFIG_SCHEMA with lib/config/validate.ts's options: they give the same
 * errors (test/gateway/config-validator.test.ts holds them to it).
 */
import type { SchemaValidator } from "@fieldlink/lib/config/check"
import { compileSchema } from "@fieldlink/lib/config/validate"
import { CONFIG_SCHEMA } from "./schema.js"

export function configValidator(): SchemaValidator {
    return compileSchema(CONFIG_SCHEMA as unknown as Record<string, unknown>)
}

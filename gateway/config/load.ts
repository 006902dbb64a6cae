/**
 * Reading a configuration: YAML or JSON text → schema check (validator.ts, defaults filled) →
 * cross-field checks and secrets (resolve.ts) → one frozen GatewayConfig. Every mistake
 * found is reported at once, each with its file line when the text has one.
 */
import path from "node:path"
import { readSourceFile, type SourceDocument } from "@fieldlink/lib/config/document"
import { ConfigError } from "@fieldlink/lib/config/errors"
import { checkDocument, locate } from "@fieldlink/lib/config/check"
import { resolveConfig, type ResolveContext } from "./resolve.js"
import { CONFIG_SCHEMA } from "./schema.js"
import type { GatewayConfig } from "./types.js"
import { configValidator } from "./validator.js"

/** Validates a config object (from a file or built from flags) and resolves it. */
export function configFromObject(
    raw: unknown,
    source: string,
    context: ResolveContext,
    lineOf: (path: (string | number)[]) => number | undefined = () => undefined,
): GatewayConfig {
    const doc: SourceDocument = { source, value: raw, lineOf }
    const data = checkDocument<Record<string, unknown>>(
        configValidator(),
        CONFIG_SCHEMA as unknown as Record<string, unknown>,
        doc,
    )
    return resolveConfig(data, source, context, p => locate(doc, p))
}

/** Reads, parses, validates and resolves the file at `file`. Throws ConfigError. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
    const doc = readSourceFile(file)
    const raw = doc.value
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
        throw new ConfigError(file, [
            `found ${raw === null ? "an empty file" : "no mapping"}, expected a mapping with broker: and ports:`,
        ])
    return configFromObject(raw, file, { baseDir: path.dirname(path.resolve(file)), env }, doc.lineOf)
}

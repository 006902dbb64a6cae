/**
 * Structured logs with pino: JSON lines (for journald and log shippers) or pretty text
 * on a terminal. Credentials never reach a log line: configuration objects are never
 * logged whole, URLs are logged without user info, and the `redact` list below is the
 * safety net for any field that slips through.
 */
import { pino, type Logger } from "pino"
import { prettyStream } from "./pretty.js"

export type { Logger }

export interface LoggerOptions {
    level: string
    format: "auto" | "json" | "pretty"
    /** Where lines go; default stdout. Tests pass their own stream. */
    destination?: NodeJS.WritableStream
}

export const REDACT_PATHS = [
    "password",
    "*.password",
    "username",
    "*.username",
    "passphrase",
    "*.passphrase",
    "key",
    "*.key",
    "authorization",
    "*.authorization",
]

export function createLogger(options: LoggerOptions): Logger {
    const destination = options.destination ?? process.stdout
    const usePretty =
        options.format === "pretty" ||
        (options.format === "auto" && (destination as NodeJS.WriteStream).isTTY === true)
    const base = {
        level: options.level,
        base: { gateway: undefined as string | undefined },
        redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    }
    if (usePretty) {
        // A stream in this thread: no worker, and lines stay in order with exits.
        return pino(base, prettyStream(destination, (destination as NodeJS.WriteStream).isTTY === true))
    }
    return pino(base, destination as pino.DestinationStream)
}

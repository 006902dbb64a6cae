/**
 * The `err <code> <reason>` codes a gateway answers a bad line with (DESIGN §4). The code
 * is stable and meant for programs (and metric labels); the reason is for people.
 */
export const ERROR_CODES = [
    /** Longer than the port's maximum line length; discarded up to the next `\n`. */
    "too-long",
    /** The ` *XX` suffix does not match the CRC-8/SMBUS of the bytes before it. */
    "bad-checksum",
    /** The port requires a checksum and the line has none. */
    "no-checksum",
    /** Not well-formed UTF-8. */
    "bad-utf8",
    /** The first word is not a verb the gateway knows. */
    "unknown-verb",
    /** A verb with missing or malformed arguments. */
    "bad-syntax",
    /** A sub-topic outside `[A-Za-z0-9_-]` levels: wildcards, `$`, `.`, `..`, empty levels. */
    "bad-topic",
    /** A sub-topic the gateway keeps for itself: `status`, `info`, `cmd`. */
    "reserved-topic",
    /** A line starting with `{` that is not a JSON object. */
    "bad-json",
    /** A `hello` whose id is invalid or already used by a device on another port. */
    "bad-id",
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

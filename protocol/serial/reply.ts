/**
 * Lines the gateway sends to a device (DESIGN §4): `ok <verb>`, `err <code> <reason>`,
 * `pong`, `cmd <name> <payload>`. Each is one line ending in `\n`, optionally with the
 * ` *XX` checksum, and never longer than the device's own line limit.
 */
import { crc8Text, crcHex } from "./crc8.js"
import type { ErrorCode } from "./errors.js"

/** Reasons are clipped to this many characters: a device's buffer is small. */
export const MAX_REASON_LENGTH = 120

/** `text` + optional ` *XX` + `\n`. `text` must not contain a line break. */
export function frameLine(text: string, withChecksum: boolean): string {
    return withChecksum ? `${text} *${crcHex(crc8Text(text))}\n` : `${text}\n`
}

export function okLine(verb: string): string {
    return `ok ${verb}`
}

export function errLine(code: ErrorCode, reason: string): string {
    const flat = reason.replace(/[\r\n]+/g, " ")
    return `err ${code} ${flat.length > MAX_REASON_LENGTH ? flat.slice(0, MAX_REASON_LENGTH - 1) + "…" : flat}`
}

export const PONG = "pong"

export type CommandProblem = string

/**
 * `cmd <name> <payload>` (`cmd <name>` for an empty payload), or why the command cannot
 * go down the line: a payload with a line break would end the line early, and the
 * device could not read a line past its limit.
 */
export function cmdLine(
    name: string,
    payload: string,
    maxLineBytes: number,
): { line: string } | { problem: CommandProblem } {
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(name))
        return { problem: `command name "${name}" is not one or more levels of A-Z a-z 0-9 _ -` }
    if (/[\r\n]/.test(payload)) return { problem: "command payload holds a line break" }
    const line = payload === "" ? `cmd ${name}` : `cmd ${name} ${payload}`
    const size = new TextEncoder().encode(line).length + 4 // room for " *XX"
    if (size > maxLineBytes)
        return {
            problem: `command line would be ${size} bytes, more than the port's limit of ${maxLineBytes}`,
        }
    return { line }
}

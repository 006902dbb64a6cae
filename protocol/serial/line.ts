/**
 * One device line → one message (DESIGN §4; the full grammar is in
 * docs/serial-protocol.md). Steps, in this order, each with its error code:
 *
 *   1. a leading `> ` (DeviceScript's console mirror) is dropped;
 *   2. a trailing ` *XX` is checked against CRC-8/SMBUS of the bytes before the space
 *      (`bad-checksum`), or is missing where the port requires it (`no-checksum`);
 *   3. the rest must be well-formed UTF-8 (`bad-utf8`);
 *   4. the first word is the verb: `hello`, `pub`, `pubr`, `ping`, or the line is a
 *      JSON object (`unknown-verb`, `bad-syntax`, `bad-topic`, `reserved-topic`, `bad-json`).
 *
 * The framer has already removed `\n`, a `\r` before it, and lines past the length limit.
 * Pure: bytes in, a value out; nothing is thrown for any input.
 */
import { idError } from "../mqtt/topics.js"
import { mqttUtf8Error } from "../mqtt/utf8.js"
import { crc8 } from "./crc8.js"
import { isJsonObject } from "./json-object.js"
import type { ErrorCode } from "./errors.js"
import { subtopicError } from "./subtopic.js"

export type DeviceLine =
    /** An empty (or all-blank) line: ignored, never answered. */
    | { kind: "empty" }
    | { kind: "hello"; id: string; fw?: string; board?: string; live?: number }
    | { kind: "pub"; subtopic: string; payload: string; retain: boolean }
    | { kind: "ping" }
    /** A JSON object line: one telemetry sample, published as received. */
    | { kind: "json"; payload: string }
    | { kind: "error"; code: ErrorCode; reason: string }

export interface ParseOptions {
    /** Refuse lines without a ` *XX` checksum. Default false. */
    requireChecksum?: boolean
}

/** Longest `live` a hello may declare: one day. 0 turns the silence check off. */
export const MAX_LIVE_S = 86400
const MAX_HELLO_VALUE = 64

const decoder = new TextDecoder("utf-8", { fatal: true })

function fail(code: ErrorCode, reason: string): DeviceLine {
    return { kind: "error", code, reason }
}

function hexValue(c: number): number {
    if (c >= 48 && c <= 57) return c - 48
    if (c >= 65 && c <= 70) return c - 55
    if (c >= 97 && c <= 102) return c - 87
    return -1
}

/** Where and how `bytes` break UTF-8, for the error reason (only called on failure). */
function utf8Problem(bytes: Uint8Array): string {
    const why = mqttUtf8Error(bytes, 0, bytes.length)
    // mqttUtf8Error also refuses U+0000, which is fine in a payload: then say less.
    return why === null || why.startsWith("U+0000")
        ? "line is not well-formed UTF-8"
        : `line is not UTF-8: ${why}`
}

export function parseLine(raw: Uint8Array, options: ParseOptions = {}): DeviceLine {
    let bytes = raw
    if (bytes.length >= 2 && bytes[0] === 0x3e && bytes[1] === 0x20) bytes = bytes.subarray(2) // "> "
    const n = bytes.length
    // ` *XX`: upper-case hex is what devices send; lower case is accepted all the same.
    const hi = n >= 4 && bytes[n - 4] === 0x20 && bytes[n - 3] === 0x2a ? hexValue(bytes[n - 2]) : -1
    const lo = hi >= 0 ? hexValue(bytes[n - 1]) : -1
    if (lo >= 0) {
        const expected = crc8(bytes, 0, n - 4)
        const found = hi * 16 + lo
        if (found !== expected)
            return fail(
                "bad-checksum",
                `checksum *${hex(found)} does not match the line (CRC-8/SMBUS is *${hex(expected)})`,
            )
        bytes = bytes.subarray(0, n - 4)
    } else if (options.requireChecksum && !isBlank(bytes)) {
        return fail(
            "no-checksum",
            'this port requires a " *XX" CRC-8/SMBUS checksum at the end of every line',
        )
    }
    let text: string
    try {
        text = decoder.decode(bytes)
    } catch {
        return fail("bad-utf8", utf8Problem(bytes))
    }
    return parseText(text)
}

function isBlank(bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0x20 && bytes[i] !== 0x09) return false
    return true
}

function hex(n: number): string {
    return n.toString(16).toUpperCase().padStart(2, "0")
}

/** Steps 4 on: the verb and its arguments, on text already checked and decoded. */
export function parseText(text: string): DeviceLine {
    if (text.trim() === "") return { kind: "empty" }
    if (text.charCodeAt(0) === 123) return parseJson(text) // "{"
    const space = text.indexOf(" ")
    const verb = space < 0 ? text : text.slice(0, space)
    const rest = space < 0 ? "" : text.slice(space + 1)
    switch (verb) {
        case "pub":
        case "pubr":
            return parsePub(rest, verb === "pubr", space >= 0)
        case "ping":
            return space < 0 ? { kind: "ping" } : fail("bad-syntax", "ping takes no arguments")
        case "hello":
            return parseHello(rest)
        default:
            return fail(
                "unknown-verb",
                `${quoted(verb)} is not a verb; a line is hello, pub, pubr, ping or a JSON object`,
            )
    }
}

function parsePub(rest: string, retain: boolean, hasArgs: boolean): DeviceLine {
    const verb = retain ? "pubr" : "pub"
    if (!hasArgs || rest === "")
        return fail("bad-syntax", `${verb} needs a sub-topic: ${verb} <subtopic> <payload>`)
    const space = rest.indexOf(" ")
    const subtopic = space < 0 ? rest : rest.slice(0, space)
    const problem = subtopicError(subtopic)
    if (problem) return fail(problem.code, problem.reason)
    return { kind: "pub", subtopic, payload: space < 0 ? "" : rest.slice(space + 1), retain }
}

function parseJson(text: string): DeviceLine {
    // The common case checked without building the value; JSON.parse only says what is wrong.
    if (isJsonObject(text)) return { kind: "json", payload: text }
    let value: unknown
    try {
        value = JSON.parse(text)
    } catch (e) {
        return fail("bad-json", `line starts with "{" but is not JSON: ${clip((e as Error).message, 80)}`)
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
        return fail("bad-json", 'line starts with "{" but is not one JSON object')
    return { kind: "json", payload: text }
}

function parseHello(rest: string): DeviceLine {
    const fields: Record<string, string> = {}
    for (const token of rest.split(" ")) {
        if (token === "") continue
        const eq = token.indexOf("=")
        if (eq <= 0) return fail("bad-syntax", `hello takes key=value fields, got ${quoted(token)}`)
        const key = token.slice(0, eq)
        if (Object.prototype.hasOwnProperty.call(fields, key))
            return fail("bad-syntax", `hello has ${key}= twice`)
        fields[key] = token.slice(eq + 1)
    }
    const id = fields.id
    if (id === undefined) return fail("bad-syntax", "hello needs id=<id>")
    const problem = idError(id)
    if (problem) return fail("bad-id", `hello id ${quoted(id)}: ${problem}`)
    const hello: DeviceLine & { kind: "hello" } = { kind: "hello", id }
    for (const key of ["fw", "board"] as const) {
        const value = fields[key]
        if (value === undefined) continue
        if (value.length === 0 || value.length > MAX_HELLO_VALUE || !/^[\x21-\x7e]+$/.test(value))
            return fail(
                "bad-syntax",
                `hello ${key}= takes 1 to ${MAX_HELLO_VALUE} printable ASCII characters, got ${quoted(value)}`,
            )
        hello[key] = value
    }
    if (fields.live !== undefined) {
        const live = Number(fields.live)
        if (!/^\d{1,6}$/.test(fields.live) || live > MAX_LIVE_S)
            return fail(
                "bad-syntax",
                `hello live= takes whole seconds from 0 to ${MAX_LIVE_S}, got ${quoted(fields.live)}`,
            )
        hello.live = live
    }
    // Other keys are ignored, so a newer device still talks to an older gateway.
    return hello
}

function clip(text: string, max: number): string {
    return text.length <= max ? text : text.slice(0, max - 1) + "…"
}

/** A device-supplied word, quoted and made safe to echo on one line. */
export function quoted(word: string): string {
    const safe = clip(word, 32)
        .replace(/[^\x20-\x7e]/g, "?")
        .replace(/"/g, "'")
    return `"${safe}"`
}

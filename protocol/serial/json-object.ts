/**
 * Whether a line is one JSON object, as `JSON.parse` decides it (RFC 8259), without
 * building anything: a JSON line is published as the device wrote it, so parsing it
 * only to throw the result away cost an object graph per line. Accepts exactly the
 * texts JSON.parse accepts whose value is an object (test/protocol/json-object.test.ts
 * fuzzes the two against each other); on a `false` the caller asks JSON.parse why.
 *
 * Recursive descent over char codes. Depth is bounded by the line length (the framer
 * cuts lines at maxLineBytes), so recursion is shallow.
 */

const QUOTE = 34 // "
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const MINUS = 45
const PLUS = 43
const DOT = 46
const ZERO = 48
const NINE = 57
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

/** True when `text` is exactly one JSON object, with optional JSON whitespace around it. */
export function isJsonObject(text: string): boolean {
    const start = skipSpace(text, 0)
    if (text.charCodeAt(start) !== OPEN_BRACE) return false
    const end = value(text, start)
    return end >= 0 && skipSpace(text, end) === text.length
}

function isSpace(c: number): boolean {
    return c === 32 || c === 9 || c === 10 || c === 13
}

function skipSpace(text: string, i: number): number {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++
    return i
}

function isDigit(c: number): boolean {
    return c >= ZERO && c <= NINE
}

/** The index after the value at `i` (no leading space), or -1 when there is none. */
function value(text: string, i: number): number {
    const c = text.charCodeAt(i)
    if (c === OPEN_BRACE) return object(text, i)
    if (c === OPEN_BRACKET) return array(text, i)
    if (c === QUOTE) return string(text, i)
    if (c === MINUS || isDigit(c)) return number(text, i)
    if (text.startsWith("true", i)) return i + 4
    if (text.startsWith("false", i)) return i + 5
    if (text.startsWith("null", i)) return i + 4
    return -1
}

function object(text: string, i: number): number {
    i = skipSpace(text, i + 1)
    if (text.charCodeAt(i) === CLOSE_BRACE) return i + 1
    for (;;) {
        if (text.charCodeAt(i) !== QUOTE) return -1
        i = string(text, i)
        if (i < 0) return -1
        i = skipSpace(text, i)
        if (text.charCodeAt(i) !== COLON) return -1
        i = value(text, skipSpace(text, i + 1))
        if (i < 0) return -1
        i = skipSpace(text, i)
        const c = text.charCodeAt(i)
        if (c === CLOSE_BRACE) return i + 1
        if (c !== COMMA) return -1
        i = skipSpace(text, i + 1)
    }
}

function array(text: string, i: number): number {
    i = skipSpace(text, i + 1)
    if (text.charCodeAt(i) === CLOSE_BRACKET) return i + 1
    for (;;) {
        i = value(text, i)
        if (i < 0) return -1
        i = skipSpace(text, i)
        const c = text.charCodeAt(i)
        if (c === CLOSE_BRACKET) return i + 1
        if (c !== COMMA) return -1
        i = skipSpace(text, i + 1)
    }
}

function isHex(c: number): boolean {
    return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

function string(text: string, i: number): number {
    i++
    for (;;) {
        if (i >= text.length) return -1
        const c = text.charCodeAt(i)
        if (c === QUOTE) return i + 1
        if (c < 0x20) return -1 // control characters must be escaped
        if (c !== BACKSLASH) {
            i++
            continue
        }
        const e = text.charCodeAt(i + 1)
        if (e === 117) {
            // \uXXXX
            for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(i + k))) return -1
            i += 6
        } else if (
            e === QUOTE ||
            e === BACKSLASH ||
            e === 47 || // /
            e === 98 || // b
            e === 102 || // f
            e === 110 || // n
            e === 114 || // r
            e === 116 // t
        )
            i += 2
        else return -1
    }
}

function number(text: string, i: number): number {
    if (text.charCodeAt(i) === MINUS) i++
    const first = text.charCodeAt(i)
    if (first === ZERO) i++
    else if (isDigit(first)) while (isDigit(text.charCodeAt(i))) i++
    else return -1
    if (text.charCodeAt(i) === DOT) {
        i++
        if (!isDigit(text.charCodeAt(i))) return -1
        while (isDigit(text.charCodeAt(i))) i++
    }
    const e = text.charCodeAt(i)
    if (e === 101 || e === 69) {
        i++
        const sign = text.charCodeAt(i)
        if (sign === PLUS || sign === MINUS) i++
        if (!isDigit(text.charCodeAt(i))) return -1
        while (isDigit(text.charCodeAt(i))) i++
    }
    return i
}

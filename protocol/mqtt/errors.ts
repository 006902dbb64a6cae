/**
 * Parse errors. A code for programs, a sentence for people: it names the packet type
 * and the offending value, in the style of mqtt-packet ("Invalid variable byte integer").
 */

/**
 * - `bad-flags`: fixed-header flags not as §2.2.2 requires (incl. PUBLISH QoS 3 and
 *   DUP on QoS 0), or CONNACK's reserved acknowledge-flag bits set
 * - `bad-length`: the Remaining Length runs past 4 bytes, §2.2.3
 * - `too-large`: the packet is bigger than the parser's maximum packet size
 * - `truncated`: a field runs past the end of the packet (its Remaining Length)
 * - `trailing`: bytes left inside the packet after its last field
 * - `bad-utf8`: a string breaks §1.5.3 (ill-formed, overlong, surrogate, > U+10FFFF, U+0000)
 * - `bad-topic`: a PUBLISH topic name breaks §4.7 (empty, or holds a wildcard)
 * - `unexpected-type`: a reserved type (0, 15) or one only a client sends
 * - `malformed`: any other broken field (packet id 0, reserved return code, …)
 * - `callback`: the onPacket callback threw; the stream position is lost
 */
export type ParseErrorCode =
    | "bad-flags"
    | "bad-length"
    | "too-large"
    | "truncated"
    | "trailing"
    | "bad-utf8"
    | "bad-topic"
    | "unexpected-type"
    | "malformed"
    | "callback"

export interface ParseError {
    code: ParseErrorCode
    message: string
}

export function parseError(code: ParseErrorCode, message: string): ParseError {
    return { code: code, message: message }
}

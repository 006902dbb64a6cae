/**
 * MQTT's UTF-8 rules, §1.5.3: well-formed UTF-8 (RFC 3629), no surrogates
 * U+D800..U+DFFF, nothing above U+10FFFF, no overlong forms [MQTT-1.5.3-1], and no
 * U+0000 [MQTT-1.5.3-2]. (U+0001..U+001F, U+007F..U+009F and non-characters are only
 * "SHOULD NOT" in the spec and are accepted, as mosquitto and mqtt-packet do.)
 *
 * Bytes are checked by `mqttUtf8Error`; strings by `stringError`, because Node strings
 * are UTF-16 (a lone surrogate encodes silently as U+FFFD) while DeviceScript strings
 * hold whole code points. Both read code units/points; neither encodes anything.
 */
import type { ByteArray } from "../bytes.js"
import { codePoint, hexByte } from "./format.js"
import { MAX_FIELD_BYTES } from "./packets.js"

/** Why bytes[start..end) is not an MQTT UTF-8 string, or null when it is. Offsets in messages count from `start`. */
export function mqttUtf8Error(bytes: ByteArray, start: number, end: number): string | null {
    let i = start
    while (i < end) {
        const b = bytes[i]
        const at = i - start
        if (b === 0) return `U+0000 at byte ${at}` // [MQTT-1.5.3-2]
        if (b < 0x80) {
            i++
            continue
        }
        let more = 0
        let cp = 0
        if (b < 0xc0) return `unexpected continuation byte ${hexByte(b)} at byte ${at}`
        if (b < 0xc2) return `overlong encoding at byte ${at}` // C0, C1 only encode U+0000..U+007F
        if (b < 0xe0) {
            more = 1
            cp = b & 0x1f
        } else if (b < 0xf0) {
            more = 2
            cp = b & 0x0f
        } else if (b < 0xf5) {
            more = 3
            cp = b & 0x07
        } else {
            return `invalid byte ${hexByte(b)} at byte ${at}` // F5..FF never occur in UTF-8
        }
        for (let k = 1; k <= more; k++) {
            if (i + k >= end) return `truncated sequence at byte ${at}`
            const c = bytes[i + k]
            if ((c & 0xc0) !== 0x80) return `missing continuation byte at byte ${at + k}`
            cp = cp * 64 + (c & 0x3f)
        }
        if ((more === 2 && cp < 0x800) || (more === 3 && cp < 0x10000))
            return `overlong encoding at byte ${at}`
        if (cp >= 0xd800 && cp <= 0xdfff) return `surrogate ${codePoint(cp)} at byte ${at}`
        if (cp > 0x10ffff) return `code point above U+10FFFF at byte ${at}`
        i += more + 1
    }
    return null
}

/**
 * Why `text` cannot be an MQTT string field, or null: U+0000 [MQTT-1.5.3-2], a lone
 * surrogate [MQTT-1.5.3-1], or more than 65,535 bytes of UTF-8 (§1.5.3). One pass, no
 * encoding. A high surrogate followed by a low one is a pair (Node, 4 bytes);
 * DeviceScript strings hold code points, so a code point >= U+10000 counts 4 there.
 */
export function stringError(text: string): string | null {
    const n = text.length
    let size = 0
    for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i)
        if (c < 0x80) {
            if (c === 0) return "contains U+0000"
            size += 1
        } else if (c < 0x800) {
            size += 2
        } else if (c >= 0xd800 && c <= 0xdbff) {
            const next = text.charCodeAt(i + 1)
            if (!(next >= 0xdc00 && next <= 0xdfff)) return `contains a lone surrogate ${codePoint(c)}`
            size += 4
            i++
        } else if (c >= 0xdc00 && c <= 0xdfff) {
            return `contains a lone surrogate ${codePoint(c)}`
        } else {
            size += c < 0x10000 ? 3 : 4
        }
    }
    if (size > MAX_FIELD_BYTES) return `is ${size} bytes in UTF-8, more than ${MAX_FIELD_BYTES}`
    return null
}

/**
 * Length of `text` in UTF-8 without encoding it. A surrogate unit counts 2, so a Node
 * pair counts 4 like the DeviceScript code point it stands for.
 */
export function utf8Length(text: string): number {
    let total = 0
    const n = text.length
    for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i)
        if (c < 0x80) total += 1
        else if (c < 0x800) total += 2
        else if (c >= 0xd800 && c <= 0xdfff) total += 2
        else if (c < 0x10000) total += 3
        else total += 4
    }
    return total
}

/**
 * Topic names, topic filters and matching, MQTT 3.1.1 §4.7. Pure string functions,
 * used by the firmware client to route incoming PUBLISHes and by the gateway.
 *
 * Levels are walked with indexOf/slice rather than split: both are native in
 * DeviceScript, where split is bytecode and slow enough to matter. Messages count
 * levels from 1, never characters (Node strings count UTF-16 units, DeviceScript's
 * count code points).
 */
import { stringError } from "./utf8.js"

function commonError(what: string, text: string): string | null {
    if (text.length === 0) return `${what} is empty` // [MQTT-4.7.3-1]
    const bad = stringError(text) // U+0000 [MQTT-4.7.3-2], 65,535 bytes [MQTT-4.7.3-3]
    return bad === null ? null : `${what} ${bad}`
}

/** The 1-based level of the character at `index`. */
function levelAt(text: string, index: number): number {
    let level = 1
    let slash = text.indexOf("/")
    while (slash >= 0 && slash < index) {
        level++
        slash = text.indexOf("/", slash + 1)
    }
    return level
}

/** Why `name` is not a valid topic name (for PUBLISH and wills), or null when it is. */
export function topicNameError(name: string): string | null {
    const common = commonError("topic name", name)
    if (common !== null) return common
    // Wildcards belong to filters only [MQTT-4.7.1-1], [MQTT-3.3.2-2]
    const plus = name.indexOf("+")
    const hash = name.indexOf("#")
    if (plus >= 0 && (hash < 0 || plus < hash))
        return `topic name must not contain the wildcard "+" (level ${levelAt(name, plus)})`
    if (hash >= 0) return `topic name must not contain the wildcard "#" (level ${levelAt(name, hash)})`
    return null
}

/** Why `filter` is not a valid topic filter (for SUBSCRIBE/UNSUBSCRIBE), or null when it is. */
export function topicFilterError(filter: string): string | null {
    const common = commonError("topic filter", filter)
    if (common !== null) return common
    let start = 0
    let level = 1
    while (start <= filter.length) {
        let end = filter.indexOf("/", start)
        const last = end < 0
        if (last) end = filter.length
        const whole = end - start === 1
        const hash = filter.indexOf("#", start)
        // [MQTT-4.7.1-2]: "#" alone in its level, and that level is the last
        if (hash >= 0 && hash < end && !(whole && last))
            return `topic filter may use "#" only as the whole last level (level ${level})`
        const plus = filter.indexOf("+", start)
        // [MQTT-4.7.1-3]: "+" alone in its level
        if (plus >= 0 && plus < end && !whole)
            return `topic filter may use "+" only as a whole level (level ${level})`
        start = end + 1
        level++
    }
    return null
}

/**
 * Whether a PUBLISH to `name` is delivered to a subscription on `filter`, §4.7.
 * An invalid filter or name never matches.
 */
export function topicMatches(filter: string, name: string): boolean {
    if (topicFilterError(filter) !== null || topicNameError(name) !== null) return false
    // [MQTT-4.7.2-1]: a wildcard first level never matches a topic starting with "$"
    if (name.charCodeAt(0) === 36 && (filter.charCodeAt(0) === 43 || filter.charCodeAt(0) === 35))
        return false
    let f = 0 // start of the current filter level
    let t = 0 // start of the current name level; > name.length once all are used
    while (true) {
        let fEnd = filter.indexOf("/", f)
        if (fEnd < 0) fEnd = filter.length
        const level = filter.slice(f, fEnd)
        // "#" matches the parent level too: "sport/#" matches "sport" (§4.7.1.2)
        if (level === "#") return true
        if (t > name.length) return false
        let tEnd = name.indexOf("/", t)
        if (tEnd < 0) tEnd = name.length
        // "+" matches exactly one level, including an empty one (§4.7.1.3)
        if (level !== "+" && level !== name.slice(t, tEnd)) return false
        f = fEnd + 1
        t = tEnd + 1
        if (f > filter.length) return t > name.length
    }
}

function isIdChar(c: number): boolean {
    return (
        (c >= 48 && c <= 57) || // 0-9
        (c >= 65 && c <= 90) || // A-Z
        (c >= 97 && c <= 122) || // a-z
        c === 95 || // _
        c === 45 // -
    )
}

/** Max length of a device or gateway id, DESIGN §1. */
export const MAX_ID_LENGTH = 64

/**
 * Why `id` is not a fieldlink device/gateway id (`[A-Za-z0-9_-]{1,64}`, DESIGN §1), or
 * null. Such an id is always one safe topic level: no "+", "#", "/" or leading "$".
 */
export function idError(id: string): string | null {
    if (id.length === 0) return "id is empty"
    for (let i = 0; i < id.length; i++) {
        // Every character before i is ASCII, so i is the same position on both runtimes
        if (!isIdChar(id.charCodeAt(i)))
            return `id may contain only A-Z, a-z, 0-9, "_" and "-" (character ${i + 1} is not one of them)`
    }
    if (id.length > MAX_ID_LENGTH) return `id is ${id.length} characters long, more than ${MAX_ID_LENGTH}`
    return null
}

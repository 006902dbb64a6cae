/**
 * Sub-topic confinement (DESIGN §4): a device publishes only inside its own subtree
 * `<root>/devices/<id>/`. A sub-topic is one or more levels of `[A-Za-z0-9_-]`, so it can
 * never hold a wildcard (`+`, `#`), a `$`, an empty level, `.` or `..`; and its first
 * level may not be one the gateway owns.
 */

/** First levels a device may not publish to: the gateway writes `status` (birth/will) and
 * `info`; `cmd` is the downlink, and a device publishing there would command itself. */
export const RESERVED_LEVELS: readonly string[] = ["status", "info", "cmd"]
export const MAX_SUBTOPIC_LEVELS = 8
export const MAX_LEVEL_LENGTH = 64

export type SubtopicProblem = { code: "bad-topic" | "reserved-topic"; reason: string }

function isLevelChar(c: number): boolean {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45
}

/** Renders one offending character for a reason text: printable ASCII as is, the rest as U+XXXX. */
function shown(text: string, i: number): string {
    const c = text.codePointAt(i) ?? 0
    if (c > 0x20 && c < 0x7f) return `"${String.fromCharCode(c)}"`
    return "U+" + c.toString(16).toUpperCase().padStart(4, "0")
}

/** Why `subtopic` may not be published by a device, or null when it may. */
export function subtopicError(subtopic: string): SubtopicProblem | null {
    if (subtopic.length === 0) return { code: "bad-topic", reason: "sub-topic is empty" }
    let level = 1
    let levelStart = 0
    for (let i = 0; i <= subtopic.length; i++) {
        const c = i < subtopic.length ? subtopic.charCodeAt(i) : 47
        if (c === 47) {
            const size = i - levelStart
            if (size === 0) return { code: "bad-topic", reason: `sub-topic level ${level} is empty` }
            if (size > MAX_LEVEL_LENGTH)
                return {
                    code: "bad-topic",
                    reason: `sub-topic level ${level} is ${size} characters long, more than ${MAX_LEVEL_LENGTH}`,
                }
            if (level === 1 && RESERVED_LEVELS.includes(subtopic.slice(0, i)))
                return {
                    code: "reserved-topic",
                    reason: `sub-topic "${subtopic.slice(0, i)}" belongs to the gateway`,
                }
            level++
            if (level > MAX_SUBTOPIC_LEVELS && i < subtopic.length)
                return { code: "bad-topic", reason: `sub-topic has more than ${MAX_SUBTOPIC_LEVELS} levels` }
            levelStart = i + 1
        } else if (!isLevelChar(c)) {
            return {
                code: "bad-topic",
                reason: `sub-topic level ${level} has ${shown(subtopic, i)}; levels hold only A-Z a-z 0-9 _ -`,
            }
        }
    }
    return null
}

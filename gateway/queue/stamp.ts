/**
 * A queued message as it finally leaves the gateway (DESIGN §1, telemetry row; the rule
 * is in protocol/age.ts): a message that waited past 2 s says so with `"age_ms"`, added
 * now, at the moment it is sent, and optionally every JSON message says when the gateway
 * received it (`ts`). Pure: the caller gives the wait and the receive time.
 *
 * - A JSON object payload gets the members inserted as text before its closing brace,
 *   so the device's own bytes (number formats, key order, spacing) pass unchanged. If it
 *   already has an `age_ms` (a device that queued the sample itself), the two waits add
 *   up — taken = received − age_ms still holds — and the object is serialized again. A
 *   device's own `ts` is left as it is: it knows better when it measured.
 * - Any other payload (text, a number, an array) is never touched: its age can travel
 *   only beside it, as an MQTT 5 user property (`userProperty`), or not at all.
 * - Retained messages get no `age_ms`: the broker hands them to later subscribers at any
 *   time, so no age relative to a delivery could hold for them. `ts` does hold.
 * - The happy path (not late, no `ts`) never parses the payload.
 */
import { AGE_KEY, lateAge } from "@fieldlink/protocol/age"

/** `ts` on bridged JSON messages: off, ms since the epoch, or ISO 8601 text in UTC. */
export type TimestampFormat = "off" | "epoch" | "iso"

export const TS_KEY = "ts"

export interface StampInput {
    payload: string
    retain: boolean
    /** How long the message waited in the gateway, ms. */
    waitedMs: number
    /** When the gateway received it, wall clock ms since the epoch. */
    receivedAt: number
}

export interface Stamped {
    payload: string
    /** The age to send as an MQTT 5 user property `age_ms`, or undefined when not late. */
    userProperty: string | undefined
}

function jsonObject(text: string): Record<string, unknown> | undefined {
    if (!/^\s*\{/.test(text)) return undefined
    try {
        const value: unknown = JSON.parse(text)
        return value !== null && typeof value === "object" && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : undefined
    } catch {
        return undefined
    }
}

function tsValue(receivedAt: number, format: TimestampFormat): number | string | undefined {
    if (format === "epoch") return Math.floor(receivedAt)
    if (format === "iso") return new Date(receivedAt).toISOString()
    return undefined
}

export function stampMessage(m: StampInput, format: TimestampFormat): Stamped {
    const age = m.retain ? 0 : lateAge(m.waitedMs)
    if (age === 0 && format === "off") return { payload: m.payload, userProperty: undefined }
    const object = jsonObject(m.payload)
    if (object === undefined) return { payload: m.payload, userProperty: age > 0 ? String(age) : undefined }
    const own = (key: string) => Object.prototype.hasOwnProperty.call(object, key)
    const ts = own(TS_KEY) ? undefined : tsValue(m.receivedAt, format)
    const deviceAge = object[AGE_KEY]
    if (age > 0 && own(AGE_KEY)) {
        // The device's own wait plus ours; a device age that is not a count of ms is replaced.
        const total =
            (typeof deviceAge === "number" && Number.isFinite(deviceAge) && deviceAge > 0
                ? Math.floor(deviceAge)
                : 0) + age
        object[AGE_KEY] = total
        if (ts !== undefined) object[TS_KEY] = ts
        return { payload: JSON.stringify(object), userProperty: String(total) }
    }
    let members = ""
    if (age > 0) members += `,"${AGE_KEY}":${age}`
    if (ts !== undefined) members += `,"${TS_KEY}":${JSON.stringify(ts)}`
    if (members === "") return { payload: m.payload, userProperty: undefined }
    if (Object.keys(object).length === 0) members = members.slice(1)
    const close = m.payload.lastIndexOf("}")
    return {
        payload: m.payload.slice(0, close) + members + m.payload.slice(close),
        userProperty: age > 0 ? String(age) : undefined,
    }
}

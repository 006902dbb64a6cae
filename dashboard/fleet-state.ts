/**
 * What the dashboard knows about the fleet, built from the messages under the topic root
 * alone (DESIGN §1): each device's status and since when, its info, last sample and the
 * last hour of each reading; each gateway's status and stats. Pure: messages and the
 * clock go in, views and change events come out; the MQTT and HTTP shells live elsewhere.
 */
import { parseFleetTopic } from "@fieldlink/protocol/fieldlink-topics"
import { idError } from "@fieldlink/protocol/mqtt"
import { readingsOf } from "@fieldlink/homeassistant/readings"

/** How far back the charts reach. */
export const HISTORY_MS = 60 * 60 * 1000
/** Points kept per reading: one a second for the hour. */
export const MAX_POINTS = 3600
/**
 * A status that changes more than FLAP_LIMIT times within FLAP_WINDOW_MS is marked
 * "duplicate id?": two boards with one id take each other's MQTT session over and over
 * (each connect kicks the other off, whose will then says offline).
 */
export const FLAP_WINDOW_MS = 60 * 1000
export const FLAP_LIMIT = 4

export type Status = "online" | "offline" | "unknown"

interface StatusTrack {
    status: Status
    /** When the status last changed, or when first seen (then `sinceExact` is false). */
    since: number
    sinceExact: boolean
    changes: number[]
}

export interface DeviceView {
    id: string
    status: Status
    since: number
    sinceExact: boolean
    flapping: boolean
    transport: string | null
    gateway: string | null
    board: string | null
    fw: string | null
    info: Record<string, unknown> | null
    last: Record<string, unknown> | null
    lastAt: number | null
    /** Units of the readings seen so far, by key ("" for a plain number). */
    units: Record<string, string>
}

export interface GatewayView {
    id: string
    status: Status
    since: number
    sinceExact: boolean
    flapping: boolean
    stats: Record<string, unknown> | null
    statsAt: number | null
}

/** One reading's history: times (ms) and values, oldest first. */
export interface Series {
    t: number[]
    v: number[]
}

export type FleetEvent =
    | { type: "device"; device: DeviceView }
    | { type: "gateway"; gateway: GatewayView }
    | { type: "points"; id: string; t: number; values: Record<string, number> }
    | { type: "remove"; kind: "device" | "gateway"; id: string }

export interface FleetSnapshot {
    now: number
    devices: (DeviceView & { series: Record<string, Series> })[]
    gateways: GatewayView[]
}

interface DeviceRecord {
    track: StatusTrack
    info: Record<string, unknown> | null
    last: Record<string, unknown> | null
    lastAt: number | null
    units: Record<string, string>
    series: Map<string, Series>
}

interface GatewayRecord {
    track: StatusTrack
    stats: Record<string, unknown> | null
    statsAt: number | null
}

function jsonObject(text: string): Record<string, unknown> | null {
    try {
        const v = JSON.parse(text)
        return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null
    } catch {
        return null
    }
}

function str(v: unknown): string | null {
    return typeof v === "string" && v !== "" ? v : null
}

export class FleetState {
    private readonly devices = new Map<string, DeviceRecord>()
    private readonly gateways = new Map<string, GatewayRecord>()

    constructor(
        private readonly root: string,
        private readonly now: () => number = Date.now,
    ) {}

    /**
     * Takes one message from the broker; returns what changed (nothing for other topics).
     * `retained`: the broker's stored copy, sent on subscribing, so its time is unknown.
     */
    apply(topic: string, text: string, retained = false): FleetEvent[] {
        const t = parseFleetTopic(this.root, topic)
        if (!t || idError(t.id) !== null) return []
        if (t.kind === "device") return this.deviceMessage(t.id, t.leaf, text, retained)
        return this.gatewayMessage(t.id, t.leaf, text, retained)
    }

    /** Re-evaluates what depends on time alone (a flapping mark that has expired). */
    tick(): FleetEvent[] {
        const events: FleetEvent[] = []
        for (const [id, d] of this.devices)
            if (this.expire(d.track)) events.push({ type: "device", device: this.deviceView(id, d) })
        for (const [id, g] of this.gateways)
            if (this.expire(g.track)) events.push({ type: "gateway", gateway: this.gatewayView(id, g) })
        return events
    }

    snapshot(): FleetSnapshot {
        const devices = [...this.devices.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([id, d]) => ({ ...this.deviceView(id, d), series: Object.fromEntries(d.series) }))
        const gateways = [...this.gateways.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([id, g]) => this.gatewayView(id, g))
        return { now: this.now(), devices, gateways }
    }

    device(id: string): DeviceView | undefined {
        const d = this.devices.get(id)
        return d && this.deviceView(id, d)
    }

    gateway(id: string): GatewayView | undefined {
        const g = this.gateways.get(id)
        return g && this.gatewayView(id, g)
    }

    private deviceMessage(id: string, leaf: string, text: string, retained: boolean): FleetEvent[] {
        if (leaf !== "status" && leaf !== "info" && leaf !== "telemetry") return []
        if (leaf === "info" && text === "") {
            // Forgotten: its retained info was cleared (the same rule as Home Assistant discovery).
            return this.devices.delete(id) ? [{ type: "remove", kind: "device", id }] : []
        }
        const d = this.deviceRecord(id)
        const events: FleetEvent[] = []
        if (leaf === "status") {
            if (!this.track(d.track, text, retained)) return []
        } else if (leaf === "info") {
            d.info = jsonObject(text)
            const gw = str(d.info?.gateway)
            if (gw && !this.gateways.has(gw)) {
                this.gateways.set(gw, { track: this.newTrack(), stats: null, statsAt: null })
                events.push({ type: "gateway", gateway: this.gatewayView(gw, this.gateways.get(gw)!) })
            }
        } else if (leaf === "telemetry") {
            const sample = jsonObject(text)
            if (!sample) return []
            const now = this.now()
            d.last = sample
            d.lastAt = now
            // A sample held in a queue says how long it waited (DESIGN §1): chart it when it was taken.
            const t = typeof sample.age_ms === "number" && sample.age_ms > 0 ? now - sample.age_ms : now
            const values: Record<string, number> = {}
            for (const [key, c] of readingsOf(text)) {
                values[key] = sample[key] as number
                d.units[key] = c.unit ?? ""
                this.addPoint(d.series, key, t, values[key], now)
            }
            events.push({ type: "points", id, t, values })
        } else return []
        events.unshift({ type: "device", device: this.deviceView(id, d) })
        return events
    }

    private gatewayMessage(id: string, leaf: string, text: string, retained: boolean): FleetEvent[] {
        if (leaf !== "status" && leaf !== "stats") return []
        if (leaf === "status" && text === "")
            return this.gateways.delete(id) ? [{ type: "remove", kind: "gateway", id }] : []
        let g = this.gateways.get(id)
        if (!g) this.gateways.set(id, (g = { track: this.newTrack(), stats: null, statsAt: null }))
        if (leaf === "status") {
            if (!this.track(g.track, text, retained)) return []
        } else if (leaf === "stats") {
            g.stats = jsonObject(text)
            g.statsAt = this.now()
        }
        return [{ type: "gateway", gateway: this.gatewayView(id, g) }]
    }

    private addPoint(series: Map<string, Series>, key: string, t: number, v: number, now: number): void {
        let s = series.get(key)
        if (!s) series.set(key, (s = { t: [], v: [] }))
        // Keep time order: a late sample goes where it belongs.
        let i = s.t.length
        while (i > 0 && s.t[i - 1] > t) i--
        s.t.splice(i, 0, t)
        s.v.splice(i, 0, v)
        let drop = 0
        while (drop < s.t.length && s.t[drop] < now - HISTORY_MS) drop++
        drop = Math.max(drop, s.t.length - MAX_POINTS)
        if (drop > 0) {
            s.t.splice(0, drop)
            s.v.splice(0, drop)
        }
    }

    private newTrack(): StatusTrack {
        return { status: "unknown", since: this.now(), sinceExact: false, changes: [] }
    }

    private deviceRecord(id: string): DeviceRecord {
        let d = this.devices.get(id)
        if (!d)
            this.devices.set(
                id,
                (d = {
                    track: this.newTrack(),
                    info: null,
                    last: null,
                    lastAt: null,
                    units: {},
                    series: new Map(),
                }),
            )
        return d
    }

    /** Applies a status payload; false when nothing changed. */
    private track(track: StatusTrack, text: string, retained: boolean): boolean {
        const status: Status = text === "online" || text === "offline" ? text : "unknown"
        if (status === track.status) return false
        const now = this.now()
        // The first status seen is where we start, not a change; a retained one is older than now.
        if (track.status !== "unknown") track.changes.push(now)
        track.sinceExact = track.status !== "unknown" || !retained
        track.status = status
        track.since = now
        track.changes = track.changes.filter(at => at > now - FLAP_WINDOW_MS)
        return true
    }

    /** Drops changes older than the window; true when that ended a flapping mark. */
    private expire(track: StatusTrack): boolean {
        const was = track.changes.length > FLAP_LIMIT
        const now = this.now()
        track.changes = track.changes.filter(at => at > now - FLAP_WINDOW_MS)
        return was && track.changes.length <= FLAP_LIMIT
    }

    private flapping(track: StatusTrack): boolean {
        const now = this.now()
        return track.changes.filter(at => at > now - FLAP_WINDOW_MS).length > FLAP_LIMIT
    }

    private deviceView(id: string, d: DeviceRecord): DeviceView {
        return {
            id,
            status: d.track.status,
            since: d.track.since,
            sinceExact: d.track.sinceExact,
            flapping: this.flapping(d.track),
            transport: str(d.info?.transport),
            gateway: str(d.info?.gateway),
            board: str(d.info?.board),
            fw: str(d.info?.fw),
            info: d.info,
            last: d.last,
            lastAt: d.lastAt,
            units: { ...d.units },
        }
    }

    private gatewayView(id: string, g: GatewayRecord): GatewayView {
        return {
            id,
            status: g.track.status,
            since: g.track.since,
            sinceExact: g.track.sinceExact,
            flapping: this.flapping(g.track),
            stats: g.stats,
            statsAt: g.statsAt,
        }
    }
}

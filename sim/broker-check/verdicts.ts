/**
 * The broker check's pure core: what each probe saw (an `Observation`) turned into a
 * verdict and what it means for fieldlink. No I/O: the probes (probes.ts) measure, this
 * module judges, table.ts prints.
 *
 * A "contract" check guards something fieldlink relies on (DESIGN.md §2: retained
 * status, wills, birth before telemetry, QoS 1); when it fails, fieldlink loses status or
 * data on that broker and the command exits non-zero. An "advisory" check tells what the
 * broker offers beyond that (sessions, ACLs, shared subscriptions); it never fails the run.
 */
import { DEFAULT_MAX_LINE_BYTES } from "@fieldlink/protocol/serial"

export type CheckId =
    | "retained-exact"
    | "retained-wildcard"
    | "retained-across-nodes"
    | "will-closed"
    | "will-silent"
    | "birth-order"
    | "qos1"
    | "session-resume"
    | "max-payload"
    | "acl-subtree"
    | "shared-subscription"

export type Outcome = "pass" | "fail" | "note" | "n/a"

export interface Verdict {
    id: CheckId
    title: string
    contract: boolean
    outcome: Outcome
    /** What the probe saw, in numbers. */
    seen: string
    /** What that means for fieldlink. */
    meaning: string
}

/** How late after 1.5 × keep-alive a will may come: mosquitto 2.0 sweeps keep-alives every 5–6 s, and counts whole seconds (measured up to 1.5 × k + 7 s). */
export const WILL_SWEEP_ALLOWANCE_MS = 7000
/** The largest payload fieldlink publishes: one serial line, bridged as is. */
export const REQUIRED_PAYLOAD_BYTES = DEFAULT_MAX_LINE_BYTES

export type Observation =
    | { id: "retained-exact" | "retained-wildcard"; received: boolean; waitedMs: number }
    | {
          id: "retained-across-nodes"
          nodes: number
          missing: { node: number; filter: "exact" | "wildcard" }[]
      }
    | { id: "will-closed"; willAfterMs: number | null; waitedMs: number }
    | { id: "will-silent"; keepAliveS: number; willAfterMs: number | null; waitedMs: number }
    | { id: "birth-order"; connections: number; birthsSeen: number; birthsFirst: number }
    | { id: "qos1"; sent: number; received: number }
    | {
          id: "session-resume"
          sameNode: boolean
          received: boolean
          /** Why the resuming connection failed, when it did. */
          refused?: string
      }
    | { id: "max-payload"; largestBytes: number | null; firstRefusedBytes: number | null }
    | { id: "acl-subtree"; delivered: boolean }
    | {
          id: "shared-subscription"
          subscribers: number
          sent: number
          deliveries: number
          suback: "granted" | "refused"
      }

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const bytes = (n: number) =>
    n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`

/** The verdict for one observation. Pure. */
export function judge(o: Observation): Verdict {
    switch (o.id) {
        case "retained-exact":
        case "retained-wildcard": {
            const filter =
                o.id === "retained-exact"
                    ? "an exact subscription"
                    : "a wildcard subscription (devices/+/status)"
            return {
                id: o.id,
                title: `retained status on ${o.id === "retained-exact" ? "exact" : "wildcard"} subscribe`,
                contract: true,
                outcome: o.received ? "pass" : "fail",
                seen: o.received ? "delivered on subscribe" : `nothing within ${seconds(o.waitedMs)}`,
                meaning: o.received
                    ? `${filter} sees every device's last status`
                    : `a dashboard subscribing to ${filter} does not learn which devices are online until they reconnect`,
            }
        }
        case "retained-across-nodes":
            if (o.nodes < 2)
                return na(
                    o.id,
                    "retained status across nodes",
                    "one URL given: pass one URL per cluster node",
                )
            return {
                id: o.id,
                title: "retained status across nodes",
                contract: true,
                outcome: o.missing.length === 0 ? "pass" : "fail",
                seen:
                    o.missing.length === 0
                        ? `seen on all ${o.nodes} nodes`
                        : `missing on ${o.missing.map(m => `node ${m.node + 1} (${m.filter})`).join(", ")}`,
                meaning:
                    o.missing.length === 0
                        ? "a client sees device status whichever node it lands on"
                        : "status depends on which node a subscriber lands on: dashboards and the gateway see devices offline or unknown",
            }
        case "will-closed":
            return {
                id: o.id,
                title: "will on a closed socket",
                contract: true,
                outcome: o.willAfterMs !== null ? "pass" : "fail",
                seen:
                    o.willAfterMs !== null
                        ? `offline after ${seconds(o.willAfterMs)}`
                        : `no will within ${seconds(o.waitedMs)}`,
                meaning:
                    o.willAfterMs !== null
                        ? "a crashed device or gateway shows offline at once"
                        : "a crashed device stays online forever",
            }
        case "will-silent": {
            const boundMs = o.keepAliveS * 1500 + WILL_SWEEP_ALLOWANCE_MS
            const inTime = o.willAfterMs !== null && o.willAfterMs <= boundMs
            // The multiple of keep-alive tells a broker that counts differently (RabbitMQ
            // 3.10: 3 × k) from one that checks late by a fixed sweep (mosquitto 2.0).
            const times = o.willAfterMs !== null ? (o.willAfterMs / (o.keepAliveS * 1000)).toFixed(1) : ""
            return {
                id: o.id,
                title: `will on a silent socket (keep-alive ${o.keepAliveS} s)`,
                contract: true,
                outcome: inTime ? "pass" : "fail",
                seen:
                    o.willAfterMs !== null
                        ? `offline after ${seconds(o.willAfterMs)} = ${times} × keep-alive (1.5 × keep-alive = ${seconds(o.keepAliveS * 1500)}, allowed ${seconds(boundMs)})`
                        : `no will within ${seconds(o.waitedMs)}`,
                meaning: inTime
                    ? "a device whose network is cut shows offline within 1.5 × keep-alive"
                    : o.willAfterMs !== null
                      ? `a device whose network is cut still shows online for ${times} × its keep-alive, not 1.5 ×`
                      : "a device whose network is cut stays online forever",
            }
        }
        case "birth-order":
            return {
                id: o.id,
                title: "birth before telemetry",
                contract: true,
                outcome: o.birthsFirst === o.connections ? "pass" : "fail",
                seen: `${o.birthsFirst} of ${o.connections} births first${o.birthsSeen < o.connections ? `, ${o.connections - o.birthsSeen} never arrived` : ""}`,
                meaning:
                    o.birthsFirst === o.connections
                        ? "subscribers see a device online before its readings"
                        : "subscribers see readings from devices that look offline, or miss the online status",
            }
        case "qos1":
            return {
                id: o.id,
                title: "QoS 1 delivery",
                contract: true,
                outcome: o.received === o.sent ? "pass" : "fail",
                seen: `${o.received} of ${o.sent} delivered`,
                meaning:
                    o.received === o.sent
                        ? "status and acknowledged messages arrive"
                        : "status messages (QoS 1) can be lost",
            }
        case "session-resume":
            return {
                id: o.id,
                title: `persistent session resumed${o.sameNode ? "" : " on another node"}`,
                contract: false,
                outcome: o.received ? "pass" : "note",
                seen: o.received
                    ? "queued QoS 1 message delivered on resume"
                    : o.refused
                      ? `the resuming connection failed: ${o.refused}`
                      : "queued message not delivered on resume",
                meaning: o.received
                    ? "a consumer with a persistent session misses nothing while it reconnects"
                    : o.refused
                      ? "a consumer resuming its session there waits out its connect timeout and retries; meanwhile it misses messages: read retained status on reconnect"
                      : "a consumer misses what was published while it reconnected: read retained status on reconnect",
            }
        case "max-payload": {
            const enough = o.largestBytes !== null && o.largestBytes >= REQUIRED_PAYLOAD_BYTES
            return {
                id: o.id,
                title: "largest payload accepted",
                contract: true,
                outcome: enough ? "pass" : "fail",
                seen:
                    o.largestBytes === null
                        ? `none (refused ${bytes(o.firstRefusedBytes ?? 0)})`
                        : `${bytes(o.largestBytes)}${o.firstRefusedBytes !== null ? `; ${bytes(o.firstRefusedBytes)} refused` : " (largest tried)"}`,
                meaning: enough
                    ? `serial lines up to ${bytes(REQUIRED_PAYLOAD_BYTES)} are bridged whole`
                    : `lines up to ${bytes(REQUIRED_PAYLOAD_BYTES)} from bridged devices are lost`,
            }
        }
        case "acl-subtree":
            return {
                id: o.id,
                title: "publish outside own subtree",
                contract: false,
                outcome: "note",
                seen: o.delivered ? "allowed" : "refused",
                meaning: o.delivered
                    ? "any client can write any device's status: give each device its own user and an ACL of its subtree"
                    : "this user is held to its subtree (an ACL is in place)",
            }
        case "shared-subscription": {
            const works = o.suback === "granted" && o.deliveries === o.sent
            return {
                id: o.id,
                title: "$share/ subscriptions",
                contract: false,
                outcome: works ? "pass" : "note",
                seen:
                    o.suback === "refused"
                        ? "subscription refused"
                        : `${o.deliveries} deliveries of ${o.sent} to ${o.subscribers} group members`,
                meaning: works
                    ? "consumers can split telemetry between them with $share/<group>/"
                    : "consumers cannot share the load: each consumer receives everything, or nothing",
            }
        }
    }
}

function na(id: CheckId, title: string, seen: string): Verdict {
    return { id, title, contract: true, outcome: "n/a", seen, meaning: "" }
}

/** 1 when a contract fieldlink needs is broken, else 0. Pure. */
export function exitCodeFor(verdicts: readonly Verdict[]): number {
    return verdicts.some(v => v.contract && v.outcome === "fail") ? 1 : 0
}

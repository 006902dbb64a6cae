/**
 * Wire cost of the two clients, each running in the DeviceScript VM against the same
 * broker behind a WireTap:
 *
 *  - per telemetry sample: the bytes of the telemetry PUBLISH packets ÷ samples, beside
 *    the smallest PUBLISH that can carry the same topic and payload;
 *  - per idle hour: the bytes of one keep-alive exchange and the ping period each client
 *    actually keeps (both measured), turned into bytes per hour (computed), beside the
 *    floor of 4 bytes per keep-alive period;
 *  - what each client does with a keep-alive of 300 s and of 10 s, as seen on the wire.
 */
import { performance } from "node:perf_hooks"
import { MAX_INTERVAL_MS } from "@fieldlink/protocol/settings"
import { simBoardSettings } from "@fieldlink/sim/board-settings"
import type { BoardSettings } from "@fieldlink/devs-host"
import { runBoard, type BoardRunResult, type BoardRunState } from "./board-run.js"
import { row, vs, type Row, type Section } from "./table.js"
import {
    connectKeepAlive,
    KEEPALIVE_FLOOR_BYTES,
    keepAliveCost,
    perHour,
    publishFloorBytes,
    telemetryCost,
} from "./wire.js"

/** Samples published for the per-sample figure. */
const SAMPLES = 25
const SAMPLE_INTERVAL_MS = 200
/** The keep-alive of the idle runs: the firmware's default, and the library's. */
const IDLE_KEEPALIVE_S = 60
/** Keep-alive exchanges to wait for in the idle runs. */
const IDLE_EXCHANGES = 2
/** How long the 10 s keep-alive runs watch the link. */
const SHORT_KEEPALIVE_WATCH_MS = 30_000

export interface WireBenchOptions {
    /** The real firmware (firmware/src/main.ts). */
    firmware: Uint8Array
    /** firmware/bench/library-client.ts */
    library: Uint8Array
    brokerUrl: URL
    signal: AbortSignal
}

type Client = "ours" | "library"

interface RunSpec {
    keepAlive: number
    intervalMs: number
    /** Library client only: samples to publish before going idle. */
    samples: number
    until: (s: BoardRunState) => boolean
    timeoutMs: number
}

function settingsFor(client: Client, id: string, broker: URL, spec: RunSpec): BoardSettings {
    if (client === "ours") {
        return simBoardSettings({
            deviceId: id,
            broker,
            topicRoot: "fieldlink",
            keepAliveSeconds: spec.keepAlive,
            intervalMs: spec.intervalMs,
            randomSeed: 1,
        })
    }
    // firmware/bench/library-client.ts reads the firmware's keys, plus `samples`.
    return {
        mqtt_host: broker.hostname,
        mqtt_port: Number(broker.port),
        device_id: id,
        keepalive_s: spec.keepAlive,
        interval_ms: spec.intervalMs,
        samples: spec.samples,
    }
}

const telemetrySent = (s: BoardRunState) =>
    s.tap.packets.filter(p => p.direction === "up" && p.name === "publish" && p.bytes.includes("/telemetry"))
        .length
const connackAt = (s: BoardRunState) =>
    s.tap.packets.find(p => p.direction === "down" && p.name === "connack")?.at

const SAMPLE_RUN: RunSpec = {
    keepAlive: IDLE_KEEPALIVE_S,
    intervalMs: SAMPLE_INTERVAL_MS,
    samples: SAMPLES,
    until: s => telemetrySent(s) >= SAMPLES,
    timeoutMs: 60_000,
}
// The firmware never stops sampling: an interval of a day leaves it idle after its first sample.
const IDLE_RUN: RunSpec = {
    keepAlive: IDLE_KEEPALIVE_S,
    intervalMs: MAX_INTERVAL_MS,
    samples: 0,
    until: s => s.tap.count("down", "pingresp") >= IDLE_EXCHANGES,
    timeoutMs: (IDLE_EXCHANGES + 1) * IDLE_KEEPALIVE_S * 1000 + 30_000,
}
const KEEPALIVE_300_RUN: RunSpec = {
    keepAlive: 300,
    intervalMs: MAX_INTERVAL_MS,
    samples: 0,
    until: s => connackAt(s) !== undefined,
    timeoutMs: 20_000,
}
const KEEPALIVE_10_RUN: RunSpec = {
    keepAlive: 10,
    intervalMs: MAX_INTERVAL_MS,
    samples: 0,
    until: s => performance.now() - s.startedAt >= SHORT_KEEPALIVE_WATCH_MS,
    timeoutMs: SHORT_KEEPALIVE_WATCH_MS + 10_000,
}

/** Like Promise.all, but waits for every run to finish (and stop its VM) before throwing. */
async function settle<T>(runs: Array<Promise<T>>): Promise<T[]> {
    const results = await Promise.allSettled(runs)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected")
    if (failed) throw failed.reason
    return results.map(r => (r as PromiseFulfilledResult<T>).value)
}

type Pair = Record<Client, BoardRunResult>

async function runAll(o: WireBenchOptions): Promise<Record<"sample" | "idle" | "ka300" | "ka10", Pair>> {
    const run = (client: Client, id: string, spec: RunSpec) =>
        runBoard({
            deviceId: id,
            program: client === "ours" ? o.firmware : o.library,
            settings: settingsFor(client, id, o.brokerUrl, spec),
            until: spec.until,
            timeoutMs: spec.timeoutMs,
            signal: o.signal,
        })
    // Distinct two-character ids: distinct client ids at the broker, 30-byte telemetry topics.
    const r = await settle([
        run("ours", "o1", SAMPLE_RUN),
        run("library", "l1", SAMPLE_RUN),
        run("ours", "o2", IDLE_RUN),
        run("library", "l2", IDLE_RUN),
        run("ours", "o3", KEEPALIVE_300_RUN),
        run("library", "l3", KEEPALIVE_300_RUN),
        run("ours", "o4", KEEPALIVE_10_RUN),
        run("library", "l4", KEEPALIVE_10_RUN),
    ])
    return {
        sample: { ours: r[0], library: r[1] },
        idle: { ours: r[2], library: r[3] },
        ka300: { ours: r[4], library: r[5] },
        ka10: { ours: r[6], library: r[7] },
    }
}

function sampleSection(pair: Pair): Section {
    const o = telemetryCost(pair.ours.tap.packets)
    const l = telemetryCost(pair.library.tap.packets)
    const notes: string[] = []
    if (o.samples < SAMPLES || l.samples < SAMPLES)
        notes.push(`fewer samples than the ${SAMPLES} asked for were seen`)
    if (Math.abs(o.floorBytes / o.samples - l.floorBytes / l.samples) > 0.5) {
        notes.push("the two clients' samples differ in size: compare each with its own floor")
    }
    const sizes = `${Math.round(o.meanTopicBytes)} B topic + ${o.meanPayloadBytes.toFixed(1)} B payload`
    const rows: Row[] = [
        row("MQTT floor, 30 B topic + 40 B payload", publishFloorBytes(30, 40), "B/sample", "reference"),
        row(`MQTT floor for these samples (${sizes})`, o.floorBytes / o.samples, "B/sample", "computed"),
        row(
            `ours: telemetry PUBLISH per sample (${o.samples} samples)`,
            o.wireBytes / o.samples,
            "B/sample",
            "measured",
            vs(o.wireBytes, o.floorBytes, "floor"),
        ),
        row(
            `library: telemetry PUBLISH per sample (${l.samples} samples)`,
            l.wireBytes / l.samples,
            "B/sample",
            "measured",
            vs(l.wireBytes, l.floorBytes, "floor"),
        ),
        row("ours: socket writes per PUBLISH", o.writesPerPublish, "writes", "measured"),
        row(
            "library: socket writes per PUBLISH",
            l.writesPerPublish,
            "writes",
            "measured",
            vs(l.writesPerPublish, o.writesPerPublish, "ours"),
        ),
    ]
    return { title: "Wire bytes per telemetry sample (QoS 0)", rows, notes }
}

function idleSection(pair: Pair): Section {
    const period = IDLE_KEEPALIVE_S * 1000
    const floorPerHour = perHour(KEEPALIVE_FLOOR_BYTES, period)
    const notes = [
        `bytes per exchange and ping period are measured on the wire (${IDLE_EXCHANGES} exchanges each); ` +
            "bytes per hour = bytes per exchange × 3600 s ÷ period",
    ]
    const rows: Row[] = [
        row(
            `MQTT floor, keep-alive ${IDLE_KEEPALIVE_S} s (4 B per period)`,
            floorPerHour,
            "B/idle h",
            "computed",
        ),
    ]
    for (const who of ["ours", "library"] as const) {
        const run = pair[who]
        const k = keepAliveCost(run.tap.packets)
        if (run.timedOut)
            notes.push(`${who}: only ${k.pings} PINGREQ(s) before the deadline; its period is n/a`)
        const hourly = perHour(k.exchangeBytes, k.periodMs)
        rows.push(
            row(
                `${who}: bytes per keep-alive exchange`,
                k.exchangeBytes,
                "B",
                "measured",
                vs(k.exchangeBytes, KEEPALIVE_FLOOR_BYTES, "floor"),
            ),
            {
                ...row(
                    `${who}: ping period (keep-alive ${IDLE_KEEPALIVE_S} s negotiated)`,
                    k.periodMs / 1000,
                    "s",
                    "measured",
                    vs(k.periodMs, period, "keep-alive"),
                ),
                decimals: 1,
            },
            {
                ...row(
                    `${who}: idle wire bytes per hour`,
                    hourly,
                    "B/idle h",
                    "computed",
                    vs(hourly, floorPerHour, "floor"),
                ),
                decimals: 0,
            },
        )
    }
    return { title: "Wire bytes per idle hour", rows, notes }
}

function keepAliveSection(ka300: Pair, ka10: Pair): Section {
    const rows: Row[] = []
    for (const who of ["ours", "library"] as const) {
        const connect = ka300[who].tap.packets.find(p => p.direction === "up" && p.name === "connect")
        const ka = connect ? connectKeepAlive(connect.bytes) : NaN
        rows.push(
            row(
                `${who}: keep-alive in CONNECT when 300 s is configured`,
                ka,
                "s",
                "measured",
                vs(ka, 300, "configured"),
            ),
        )
    }
    const watched = `${SHORT_KEEPALIVE_WATCH_MS / 1000} s`
    for (const who of ["ours", "library"] as const) {
        const run = ka10[who]
        const connack = connackAt(run) ?? NaN
        const ping = keepAliveCost(run.tap.packets)
        const closed = run.tap.events.find(e => e.what === "closed by peer" && e.at > connack)
        rows.push(
            ping.pings
                ? {
                      ...row(
                          `${who}: keep-alive 10 s: first PINGREQ after CONNACK`,
                          (ping.firstPingAt - connack) / 1000,
                          "s",
                          "measured",
                      ),
                      decimals: 1,
                  }
                : row(
                      `${who}: keep-alive 10 s: first PINGREQ after CONNACK`,
                      `none in ${watched}`,
                      "",
                      "measured",
                  ),
            closed
                ? {
                      ...row(
                          `${who}: keep-alive 10 s: broker closed the connection after`,
                          (closed.at - connack) / 1000,
                          "s",
                          "measured",
                      ),
                      decimals: 1,
                  }
                : row(
                      `${who}: keep-alive 10 s: broker closed the connection after`,
                      `never in ${watched}`,
                      "",
                      "measured",
                  ),
        )
    }
    return { title: "Keep-alive as seen on the wire", rows, notes: [] }
}

export async function wireBench(o: WireBenchOptions): Promise<Section[]> {
    const r = await runAll(o)
    return [sampleSection(r.sample), idleSection(r.idle), keepAliveSection(r.ka300, r.ka10)]
}

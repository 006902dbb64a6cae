/**
 * `fieldlink sim`: simulated boards running the real firmware in the DeviceScript VM,
 * against an embedded broker (default) or any broker by URL.
 */
import { startEmbeddedBroker, type EmbeddedBroker } from "@fieldlink/sim/broker/embedded"
import { firstReachable } from "@fieldlink/sim/broker/reachable"
import { buildFirmware, findProject } from "@fieldlink/devs-host/firmware"
import { WorkerCrash, WorkerFleet } from "@fieldlink/sim/workers/pool"
import { describeEvent, startMonitor } from "@fieldlink/sim/monitor"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { brokerFlags, commandFlags, wholeFlag } from "@fieldlink/lib/cli/flags"
import { stopSignal } from "@fieldlink/lib/cli/run"
import { scenarioCommand } from "./sim-scenario.js"
import { mkdtempSync, rmSync } from "node:fs"
import os, { tmpdir } from "node:os"
import path from "node:path"
import { LiveView } from "@fieldlink/sim/live-view"
import { socatProblem } from "@fieldlink/sim/serial/pty"
import { SerialRig, type SerialDeviceSpec } from "@fieldlink/sim/serial/rig"
import { startLocalDashboard } from "@fieldlink/dashboard/local"
import { discoveryPrefixFlag, HA_FLAGS } from "@fieldlink/homeassistant/flags"
import { describeProject } from "./project.js"
import { describeHealth, describePlan, fleetPlan, MAX_FLEET, MAX_WORKERS } from "./sim-fleet.js"

/** The local stack's serial devices: the firmware over its log UART first, then scripted meters. */
function localSerialDevices(count: number, intervalMs: number): SerialDeviceSpec[] {
    return Array.from({ length: count }, (_, i) =>
        i === 0
            ? {
                  id: "serial-fw",
                  kind: "firmware",
                  rate: 0,
                  intervalMs,
                  baud: 115200,
                  live: 0,
                  checksum: false,
              }
            : {
                  id: `meter-${i}`,
                  kind: "scripted",
                  rate: 1000 / intervalMs,
                  intervalMs,
                  baud: 115200,
                  live: Math.max(5, Math.ceil((3 * intervalMs) / 1000)),
                  checksum: true,
              },
    )
}

const HELP = `usage: fieldlink sim [--boards N] [--workers N] [--shard K/N] [--serial N] [--broker URL]
                     [--keepalive S] [--interval MS] [--duration S] [--id-prefix P] [--topic-root R]
                     [--seed N] [--port P] [--verbose] [--dashboard-port P | --no-dashboard]
                     [--ha [--ha-prefix P]]
       fieldlink sim SCENARIO.yaml [--check] [--broker URL] [--workers N] [--verbose]

Runs N simulated sensor boards. Each runs the real compiled firmware in its own
DeviceScript VM with simulated temperature and humidity sensors, and talks MQTT to the
broker over real TCP. Without --broker, an embedded broker is started (on --port, default
1883, or a free port when that one is taken), so you can watch it with any MQTT tool.

  --boards N       WiFi boards in the fleet, 0-${MAX_FLEET} (default 3); with --shard, the
                   whole fleet of all shards. How many one machine holds is checked
                   before any starts (open files, local ports, memory)
  --workers N      worker threads the boards are spread over, 1-${MAX_WORKERS} (default: one
                   per core, ${os.availableParallelism()} here; never more than the boards)
  --shard K/N      run part K of N of the fleet (for N machines, e.g. a CI matrix, against
                   one --broker): boards floor((K-1)*B/N)+1 ... floor(K*B/N) of B, so the
                   shards' ids never collide and together cover the fleet
  --serial N       serial devices behind a real gateway, 0-20 (default 2: the firmware
                   over its log UART, and a scripted meter; 0 in your own project,
                   whose program runs as the WiFi boards, and with --shard); needs socat
  --broker URL     mqtt://host:port or mqtts://host:port (default: embedded broker);
                   repeat for the nodes of one broker (a cluster, or brokers bridged on
                   the topic root): the boards and the gateway try them in turn
  --keepalive S    MQTT keep-alive in seconds, 0-65535 (default 60)
  --interval MS    telemetry period in ms, 100-86400000 (default 5000)
  --duration S     stop after S seconds; 0 runs until Ctrl-C (default 0)
  --id-prefix P    device ids are P-1 ... P-N (default "sim")
  --topic-root R   topic root (default "fieldlink")
  --seed N         makes the simulated sensor values repeatable (default 1)
  --port P         port of the embedded broker (default 1883)
  --dashboard-port P  port of the fleet dashboard on 127.0.0.1 (default 8080, or a free
                   port when that one is taken; docs/dashboard.md); --no-dashboard: none
  --ha             announce the boards to Home Assistant (MQTT discovery, prefix
                   --ha-prefix, default "homeassistant")
  --verbose        a line per message, and each board's own log lines (the default on a
                   terminal is a live table, redrawn every second)

Ctrl-C (or SIGTERM) stops gracefully: every board publishes offline and disconnects.
A worker thread that crashes is reported with its boards, the others stop gracefully,
and the exit code is 1.

With a SCENARIO file (docs/scenarios.md), runs its boards, applies its fault schedule and
reports its expectations; --check exits 1 when one is not met (for CI).`

/** Fleets this large report their start-up progress. */
const PROGRESS_FROM_BOARDS = 50

const SPEC = {
    boards: { type: "string" },
    workers: { type: "string" },
    shard: { type: "string" },
    serial: { type: "string" },
    broker: { type: "string", multiple: true },
    keepalive: { type: "string" },
    interval: { type: "string" },
    duration: { type: "string" },
    "id-prefix": { type: "string" },
    "topic-root": { type: "string" },
    seed: { type: "string" },
    port: { type: "string" },
    verbose: { type: "boolean" },
    check: { type: "boolean" },
    "dashboard-port": { type: "string" },
    "no-dashboard": { type: "boolean" },
    ha: { type: "boolean" },
    ...HA_FLAGS,
} as const

function stamp(): string {
    return new Date().toISOString().slice(11, 23)
}

async function embeddedBroker(port: number): Promise<EmbeddedBroker> {
    try {
        return await startEmbeddedBroker({ port })
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e
        const broker = await startEmbeddedBroker({ port: 0 })
        console.log(`${stamp()}  port ${port} is taken; the embedded broker uses ${broker.port} instead`)
        return broker
    }
}

export async function simCommand(argv: string[]): Promise<number> {
    const flags = commandFlags("sim", argv, SPEC, HELP, 1)
    if (!flags) return 0
    if (flags.positionals.length === 1) {
        const fleetFlags = [
            "boards",
            "shard",
            "serial",
            "keepalive",
            "interval",
            "duration",
            "id-prefix",
            "topic-root",
            "seed",
            "port",
            "dashboard-port",
            "no-dashboard",
            "ha",
            "ha-prefix",
        ].filter(f => flags.values[f] !== undefined)
        if (fleetFlags.length > 0)
            throw new UsageError(
                `fieldlink sim: --${fleetFlags[0]} does not go with a scenario file (the scenario says it)`,
            )
        const brokers = brokerFlags("sim", flags)
        if (brokers.length > 1)
            throw new UsageError(
                "fieldlink sim: a scenario runs against one --broker (its faults restart that broker)",
            )
        return scenarioCommand({
            file: flags.positionals[0],
            workers:
                flags.values.workers === undefined
                    ? undefined
                    : wholeFlag("sim", flags, "workers", 1, 1, MAX_WORKERS),
            check: flags.values.check === true,
            broker: brokers[0],
            verbose: flags.values.verbose === true,
        })
    }
    if (flags.values.check) throw new UsageError("fieldlink sim: --check needs a scenario file to check")
    const idPrefix = String(flags.values["id-prefix"] ?? "sim")
    const keepAliveSeconds = wholeFlag("sim", flags, "keepalive", 60, 0, 65535)
    const intervalMs = wholeFlag("sim", flags, "interval", 5000, 100, 86400000)
    const plan = fleetPlan(flags, {
        idPrefix,
        keepAliveSeconds,
        intervalMs,
        embeddedBroker: flags.values.broker === undefined,
    })
    if (plan.shard && flags.values.broker === undefined)
        throw new UsageError(
            `fieldlink sim: --shard ${plan.shard.index}/${plan.shard.count} runs part of a fleet against a broker the shards share: name it with --broker URL`,
        )
    if (plan.shard && flags.values.serial !== undefined && flags.values.serial !== "0")
        throw new UsageError(
            "fieldlink sim: --serial does not go with --shard: every shard would bring the same serial device ids and gateway id",
        )
    const boards = plan.boards.length
    const noSocat = socatProblem()
    const serialAsked = flags.values.serial !== undefined
    const project = findProject()
    // The serial devices run the stock firmware's serial transport beside a scripted meter;
    // a user's program is simulated as WiFi boards unless asked for with --serial.
    const serial = wholeFlag("sim", flags, "serial", noSocat || !project.stock || plan.shard ? 0 : 2, 0, 20)
    if (serial > 0 && noSocat)
        throw new UsageError(`fieldlink sim: --serial needs pseudo-terminals, but ${noSocat}`)
    if (boards + serial === 0)
        throw new UsageError("fieldlink sim: nothing to simulate: --boards and --serial are both 0")
    const durationS = wholeFlag("sim", flags, "duration", 0, 0, 31536000)
    const seed = wholeFlag("sim", flags, "seed", 1, 0, 4294967295)
    const port = wholeFlag("sim", flags, "port", 1883, 0, 65535)
    const topicRoot = String(flags.values["topic-root"] ?? "fieldlink")
    if (topicRoot === "" || /[+#]/.test(topicRoot) || topicRoot.startsWith("$"))
        throw new UsageError(
            `fieldlink sim: --topic-root '${topicRoot}' must be a topic prefix without +, # or a leading $`,
        )
    const verbose = flags.values.verbose === true
    const dashboardPort = flags.values["no-dashboard"]
        ? undefined
        : wholeFlag("sim", flags, "dashboard-port", 8080, 0, 65535)
    if (flags.values["ha-prefix"] !== undefined && !flags.values.ha)
        throw new UsageError("fieldlink sim: --ha-prefix goes with --ha")
    const haPrefix = flags.values.ha ? discoveryPrefixFlag("sim", flags) : undefined
    const live = process.stdout.isTTY && !verbose

    // Ctrl-C or SIGTERM from now on, even during start-up, ends in the graceful stop below.
    const stopRequested = stopSignal()
    const brokers = brokerFlags("sim", flags)
    const embedded = brokers.length === 0 ? await embeddedBroker(port) : undefined
    // The monitor and the dashboard start on the first node that answers; the boards and
    // the gateway get them all, and move on their own…
    const broker = embedded ? new URL(embedded.url) : await firstReachable(brokers)
    // …and move to the next node when theirs goes, as the boards do.
    const watched = [broker, ...brokers.filter(node => node.href !== broker.href)]
    const cleanups: (() => Promise<unknown>)[] = []
    let crash: WorkerCrash | undefined
    if (embedded) cleanups.push(() => embedded.close())
    const cleanUp = async () => {
        for (const c of cleanups.reverse()) await c().catch(() => undefined)
    }
    try {
        console.log(
            `${stamp()}  broker ${brokers.length > 1 ? brokers.join(", ") : broker}${embedded ? " (embedded)" : ""}; building ${describeProject(project)}...`,
        )
        if (noSocat && !serialAsked) console.log(`${stamp()}  no serial devices: ${noSocat}`)
        const firmware = await buildFirmware({ project })
        let dashboardUrl = ""
        let fleet: WorkerFleet | undefined
        const header = () =>
            `fieldlink sim — broker ${broker}${embedded ? " (embedded)" : ""} — ${boards} WiFi board(s), ${serial} serial device(s)${dashboardUrl ? ` — dashboard ${dashboardUrl}` : ""} — Ctrl-C stops` +
            (fleet ? `\n${describeHealth(fleet.health())}` : "")
        const view = live ? new LiveView(process.stdout, header) : undefined
        const monitor = await startMonitor(watched, topicRoot, e =>
            view
                ? view.event(e)
                : console.log(
                      `${stamp()}  ${e.deviceId.padEnd(12)} ${e.kind.padEnd(10)} ${describeEvent(e)}`,
                  ),
        )
        cleanups.push(() => monitor.endAsync())
        const dashboard =
            dashboardPort === undefined
                ? undefined
                : await startLocalDashboard({
                      broker,
                      nodes: watched,
                      topicRoot,
                      port: dashboardPort,
                      haPrefix,
                  })
        if (dashboard) {
            cleanups.push(() => dashboard.close())
            dashboardUrl = dashboard.url
            console.log(
                `${stamp()}  dashboard ${dashboard.url}${haPrefix ? `; Home Assistant discovery under ${haPrefix}/` : ""}`,
            )
        }
        if (boards > 0) {
            console.log(`${stamp()}  starting ${describePlan(plan)}`)
            let lastProgress = 0
            fleet = await WorkerFleet.start({
                broker,
                brokers,
                boards: plan.boards,
                workers: plan.workers,
                topicRoot,
                seed,
                program: firmware.bytecode,
                services: firmware.services,
                onProgress: (started, total) => {
                    // A large fleet takes minutes to start: say how far it is, every 10%
                    // (a few boards start in a second; a line for one of three is noise).
                    if (total < PROGRESS_FROM_BOARDS) return
                    if (started - lastProgress < total / 10 || started === total) return
                    lastProgress = started
                    console.log(`${stamp()}  ${started} of ${total} boards started`)
                },
                onActuator: (id, kind, value) =>
                    console.log(`${stamp()}  ${id.padEnd(12)} ${kind.padEnd(10)} ${value ? "on" : "off"}`),
                onLog: verbose
                    ? (id, line) => console.log(`${stamp()}  ${id.padEnd(12)} log        ${line}`)
                    : undefined,
                onError: (id, message) => console.error(`${stamp()}  ${id.padEnd(12)} error      ${message}`),
            })
            const started = fleet
            cleanups.push(() => started.stop())
            console.log(`${stamp()}  ${fleet.describeAssignment()}`)
        }
        if (serial > 0) {
            const dir = mkdtempSync(path.join(tmpdir(), "fieldlink-sim-"))
            cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
            const rig = await SerialRig.start({
                dir,
                broker,
                brokers,
                topicRoot,
                gatewayId: "gw-sim",
                seed,
                program: firmware.bytecode,
                devices: localSerialDevices(serial, intervalMs),
            })
            cleanups.push(() => rig.stop())
        }
        console.log(
            `${stamp()}  ${boards} board(s) and ${serial} serial device(s) running${durationS > 0 ? ` for ${durationS} s` : "; Ctrl-C stops"}`,
        )
        view?.start()
        if (view) cleanups.push(async () => view.stop())
        const ended = await Promise.race([
            stopRequested,
            ...(fleet ? [fleet.crashed] : []),
            ...(durationS > 0 ? [new Promise(resolve => setTimeout(resolve, durationS * 1000).unref())] : []),
        ])
        if (ended instanceof WorkerCrash) {
            crash = ended
            console.error(`${stamp()}  fieldlink sim: ${crash.message}`)
            console.log(`${stamp()}  stopping the other workers: their boards say offline and disconnect`)
        } else console.log(`${stamp()}  stopping: boards say offline and disconnect`)
    } finally {
        await cleanUp()
    }
    if (!crash) return 0
    // Again after the live table's last draw, which covered the first.
    if (live) console.error(`fieldlink sim: ${crash.message}`)
    return 1
}

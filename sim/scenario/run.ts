/**
 * Runs a scenario: starts the broker and the boards, applies the fault schedule, watches
 * the broker, and checks the expectations against what it saw.
 *
 * Time 0 is when every board has started (VMs booting take a moment each, and a fault
 * at 5 s should hit boards that exist). Events after the run's duration are not judged:
 * the graceful stop at the end publishes `offline` for everyone by design.
 */
import { deviceEvent } from "../monitor.js"
import {
    embeddedScenarioBroker,
    externalScenarioBroker,
    type ObservedPublish,
    type ScenarioBroker,
} from "../broker/scenario-broker.js"
import { WorkerCrash, WorkerFleet } from "../workers/pool.js"
import type { ProgramService } from "@fieldlink/devs-host"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"
import mqtt from "mqtt"
import { checkExpectations, matchDevices, type ExpectationResult, type ObservedEvent } from "./expect.js"
import { scenarioBoards } from "./devices.js"
import type { Fault, Input, Scenario } from "./types.js"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import os from "node:os"
import path from "node:path"
import { SerialRig } from "../serial/rig.js"
import { socatProblem } from "../serial/pty.js"

export interface RunOptions {
    program: Uint8Array
    /** The services the program uses (CompileResult.services): boards then serve its roles. */
    services?: ProgramService[]
    /** Run against this broker instead of an embedded one (broker faults are refused). */
    broker?: URL
    /** One line per thing that happens (faults, status changes), for the person watching. */
    onLine?: (line: string) => void
    onBoardLog?: (deviceId: string, line: string) => void
    /**
     * Worker threads the boards are spread over (default: one per core, never more than
     * the boards). Faults and inputs reach each board in its own worker.
     */
    workers?: number
}

export interface RunReport {
    scenario: string
    results: ExpectationResult[]
    events: ObservedEvent[]
    ok: boolean
}

function toEvent(root: string, p: ObservedPublish, t0: number): ObservedEvent | null {
    const e = deviceEvent(root, p.topic, p.payload.toString("utf8"))
    if (!e || (e.kind !== "status" && e.kind !== "telemetry")) return null
    return { t: (p.at - t0) / 1000, device: e.deviceId, kind: e.kind, value: e.text }
}

export async function runScenario(s: Scenario, options: RunOptions): Promise<RunReport> {
    const say = options.onLine ?? (() => undefined)
    const specs = scenarioBoards(s)
    const devices = [...specs.map(b => b.deviceId), ...s.serial.map(d => d.id)]
    const noSocat = s.serial.length > 0 ? socatProblem() : null
    if (noSocat)
        throw new Error(`scenario '${s.name}' has serial devices, which need pseudo-terminals: ${noSocat}`)
    if (options.broker && s.faults.some(f => f.type === "broker-restart"))
        throw new Error(
            `scenario '${s.name}' restarts the broker, which needs the embedded broker: run it without --broker`,
        )

    let t0 = Number.POSITIVE_INFINITY
    const events: ObservedEvent[] = []
    const observe = (p: ObservedPublish) => {
        const e = toEvent(s.topicRoot, p, t0)
        if (!e) return
        // Kept before t=0 too (boards come online while starting): `stays` needs the state at its start.
        events.push(e)
        if (e.kind === "status")
            say(`${Number.isFinite(e.t) ? `t=${e.t.toFixed(1)}s` : "start "}  ${e.device} ${e.value}`)
    }
    const broker: ScenarioBroker = options.broker
        ? await externalScenarioBroker(options.broker, s.topicRoot, observe)
        : await embeddedScenarioBroker(s.topicRoot, observe)
    const timers: NodeJS.Timeout[] = []
    const since = (at = Date.now()) => (at - t0) / 1000
    const boards = new Set(specs.map(b => b.deviceId))
    let fleet: WorkerFleet | undefined
    let control: mqtt.MqttClient | undefined
    let rig: SerialRig | undefined
    const dir = s.serial.length > 0 ? mkdtempSync(path.join(tmpdir(), "fieldlink-sim-")) : undefined
    try {
        fleet = await WorkerFleet.start({
            broker: broker.url,
            topicRoot: s.topicRoot,
            seed: s.seed,
            program: options.program,
            services: options.services,
            boards: specs,
            workers: options.workers ?? os.availableParallelism(),
            // Every board behind its own simulated link, in the worker that runs it.
            links: true,
            onLog: (id, line, at) => {
                events.push({ t: since(at), device: id, kind: "log", value: line })
                options.onBoardLog?.(id, line)
            },
            onActuator: (id, kind, value, at) => {
                const state = value ? "on" : "off"
                events.push({ t: since(at), device: id, kind: "actuator", value: `${kind}=${state}` })
                say(`t=${since(at).toFixed(1)}s  ${id} ${kind} ${state}`)
            },
        })
        if (s.inputs.some(i => i.command !== undefined))
            control = await mqtt.connectAsync(broker.url.toString(), {
                clientId: `fieldlink-scenario-${process.pid}`,
                connectTimeout: 5000,
            })
        if (dir)
            rig = await SerialRig.start({
                dir,
                broker: broker.url,
                topicRoot: s.topicRoot,
                gatewayId: s.gateway.id,
                gatewayKeepaliveS: s.gateway.keepalive,
                seed: s.seed,
                program: options.program,
                devices: s.serial.map(d => ({
                    id: d.id,
                    kind: d.kind,
                    rate: d.rate,
                    intervalMs: d.interval,
                    baud: d.baud,
                    live: d.live,
                    checksum: d.checksum,
                    temperature: d.temperature,
                })),
            })
        t0 = Date.now()
        say(
            `t=0.0s  ${specs.length} board(s)${rig ? `, ${s.serial.length} serial device(s) behind gateway ${s.gateway.id}` : ""} started; running for ${s.duration} s` +
                (specs.length > 0 ? ` (${fleet.describeAssignment()})` : ""),
        )
        const pending: Promise<void>[] = []
        for (const fault of s.faults) {
            timers.push(
                setTimeout(() => {
                    say(
                        `t=${fault.at.toFixed(1)}s  fault ${fault.name}: ${fault.type}${fault.target ? ` on ${fault.target}` : ""}${fault.type === "serial-garbage" ? "" : ` for ${fault.for} s`}`,
                    )
                    pending.push(
                        applyFault(fault, { broker, fleet: fleet!, rig, boards, devices }).catch(e =>
                            say(`fault ${fault.name} failed: ${(e as Error).message}`),
                        ),
                    )
                }, fault.at * 1000),
            )
        }
        for (const input of s.inputs) {
            timers.push(
                setTimeout(() => {
                    const targets = matchDevices(
                        input.device,
                        specs.map(b => b.deviceId),
                    )
                    say(
                        `t=${input.at.toFixed(1)}s  input ${input.name}: ${input.command !== undefined ? `cmd/${input.command} ${JSON.stringify(input.payload)}` : `button pressed ${input.ms} ms`} on ${input.device}`,
                    )
                    for (const id of targets)
                        applyInput(input, id, s.topicRoot, fleet!, control, say).catch(e =>
                            say(`input ${input.name} failed on ${id}: ${(e as Error).message}`),
                        )
                }, input.at * 1000),
            )
        }
        // A worker that crashes ends the run: its boards are gone, nothing after is worth judging.
        const crash = await Promise.race([
            fleet.crashed,
            new Promise<void>(resolve => timers.push(setTimeout(resolve, s.duration * 1000))),
        ])
        if (crash instanceof WorkerCrash) throw new Error(`scenario '${s.name}': ${crash.message}`)
        const judged = events.filter(e => e.t <= s.duration)
        const named = [...s.faults, ...s.inputs.map(i => ({ name: i.name, at: i.at, for: 0 }))]
        const results = checkExpectations(s.expect, judged, devices, named, s.duration)
        await Promise.all(pending)
        return { scenario: s.name, results, events: judged, ok: results.every(r => r.ok) }
    } finally {
        for (const timer of timers) clearTimeout(timer)
        await control?.endAsync().catch(() => undefined)
        await rig?.stop().catch(() => undefined)
        await fleet?.stop().catch(() => undefined)
        await broker.close()
        if (dir) rmSync(dir, { recursive: true, force: true })
    }
}

async function applyInput(
    input: Input,
    deviceId: string,
    topicRoot: string,
    fleet: WorkerFleet,
    control: mqtt.MqttClient | undefined,
    say: (line: string) => void,
): Promise<void> {
    if (input.command !== undefined) {
        control!.publish(deviceTopic(topicRoot, deviceId, `cmd/${input.command}`), input.payload)
        return
    }
    if (!(await fleet.press(deviceId, input.ms)))
        say(`input ${input.name}: ${deviceId}'s program uses no button (ds.Button); nothing pressed`)
}

interface FaultContext {
    broker: ScenarioBroker
    fleet: WorkerFleet
    rig: SerialRig | undefined
    /** The boards' ids (the rest of `devices` are serial devices). */
    boards: ReadonlySet<string>
    devices: string[]
}

const LINK_CONDITION = {
    "network-cut": "cut",
    "network-blackhole": "blackhole",
    "wifi-loss": "wifi-loss",
} as const

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function applyFault(f: Fault, c: FaultContext): Promise<void> {
    const targets = f.target ? matchDevices(f.target, c.devices) : []
    // Board faults go to the worker that runs each board; serial devices have no link.
    const boards = targets.filter(d => c.boards.has(d))
    const rig = c.rig
    switch (f.type) {
        case "gateway-kill":
            await rig!.gateway.kill()
            await sleep(f.for * 1000)
            return rig!.gateway.start()
        case "gateway-power-cut":
            await rig!.hostPowerCut()
            await sleep(f.for * 1000)
            return rig!.hostPowerOn()
        case "serial-reset":
            for (const d of targets) await rig!.resetStart(d)
            await sleep(f.for * 1000)
            for (const d of targets) await rig!.resetEnd(d)
            return
        case "serial-unplug":
            await Promise.all(targets.map(d => rig!.unplug(d)))
            await sleep(f.for * 1000)
            for (const d of targets) await rig!.plug(d)
            return
        case "serial-silence":
            for (const d of targets) rig!.hush(d)
            await sleep(f.for * 1000)
            for (const d of targets) rig!.speak(d)
            return
        case "serial-garbage":
            for (const d of targets) await rig!.garbage(d)
            return
        case "broker-restart":
            return c.broker.restart(f.for * 1000)
        case "board-power-cut":
            // Each worker cuts the link first: a board without power sends no FIN and no RST.
            await c.fleet.powerCut(boards)
            await sleep(f.for * 1000)
            return c.fleet.powerOn(boards)
        case "network-cut":
        case "network-blackhole":
        case "wifi-loss":
        case "network-delay": {
            if (f.type === "network-delay") await c.fleet.linkDelay(boards, f.delayMs ?? 0)
            else await c.fleet.link(boards, LINK_CONDITION[f.type])
            await sleep(f.for * 1000)
            if (f.type === "network-delay") return c.fleet.linkDelay(boards, 0)
            return c.fleet.link(boards, "up")
        }
    }
}

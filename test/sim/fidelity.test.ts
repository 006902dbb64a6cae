// Fidelity: each WiFi fault, run on the real firmware against the broker people deploy
// (mosquitto) and against the embedded one (aedes), must produce the will and the birth
// inside the bounds that MQTT 3.1.1 and the firmware's own keep-alive rules predict —
// never sooner than the physics allows. Keep-alives are small (2–6 s) to keep this fast.
//
// The bounds (K = keep-alive, "last" = the board's last packet, seen as its last sample):
// - a silent connection (power cut, black hole, WiFi loss): the broker's will comes no
//   sooner than 1.5 × K after the last packet [MQTT-3.1.2-24]. aedes times each client
//   exactly (1.5 × K + 1 ms); mosquitto 2.0 compares whole seconds (K × 3 / 2, integer:
//   use an even K) and sweeps its clients only every ~6 s, so its will comes up to
//   MOSQUITTO_SWEEP_S later.
// - a reset connection (network-cut): the will at once.
// - a board back before its broker gave up (a quick power cycle): its new CONNECT takes
//   over the session; both brokers publish the old connection's will on the takeover
//   (clean session), so subscribers see `offline` then the new birth `online`.
import test from "ava"
import { runScenario, type RunReport } from "../../sim/scenario/run.js"
import { parseScenario } from "../../sim/scenario/load.js"
import type { ObservedEvent } from "../../sim/scenario/expect.js"
import { firmwareProgram } from "../support/firmware.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"

/** mosquitto 2.0: keep-alives are checked when `now - last_check > 5` s, in whole seconds, plus 1 s of truncation. */
const MOSQUITTO_SWEEP_S = 7
/** How much sooner a sample is seen by the observer than the broker timed its arrival (none; a little for scheduling). */
const EARLY_S = 0.25
/** How long after its deadline aedes's timer may fire on a busy machine. */
const AEDES_LATE_S = 0.75
/** Power-on to birth: a VM boots and connects at once (no backoff on a first connect). */
const BOOT_TO_BIRTH_S = 8
/** The firmware gives up a TCP connect after this long (firmware/src/main.ts). */
const CONNECT_TIMEOUT_S = 10

const SCENARIO = `
name: fidelity
seed: 3
duration: 26
boards:
  - { id: power, keepalive: 2, interval: 1000 }
  - { id: reboot, keepalive: 6, interval: 1000 }
  - { id: hole, keepalive: 2, interval: 1000 }
  - { id: wifi, keepalive: 2, interval: 1000 }
  - { id: cut, keepalive: 2, interval: 1000 }
faults:
  - { name: power, type: board-power-cut, target: power, at: 3, for: 13 }
  - { name: reboot, type: board-power-cut, target: reboot, at: 3, for: 1 }
  - { name: hole, type: network-blackhole, target: hole, at: 3, for: 13 }
  - { name: wifi, type: wifi-loss, target: wifi, at: 3, for: 13 }
  - { name: cut, type: network-cut, target: cut, at: 3, for: 4 }
`
const FAULT_AT = 3
const RESTORE_AT = 16

function lastSample(events: readonly ObservedEvent[], device: string, before: number): number {
    const samples = events.filter(e => e.device === device && e.kind === "telemetry" && e.t <= before)
    if (samples.length === 0) throw new Error(`${device}: no sample before t=${before}`)
    return samples[samples.length - 1].t
}

function firstStatus(events: readonly ObservedEvent[], device: string, value: string, after: number): number {
    const hit = events.find(
        e => e.device === device && e.kind === "status" && e.value === value && e.t >= after,
    )
    if (!hit)
        throw new Error(
            `${device}: no '${value}' after t=${after}: ${JSON.stringify(events.filter(e => e.device === device && e.kind === "status"))}`,
        )
    return hit.t
}

/** The delay (ms) of the last reconnect the board scheduled before it was online again. */
function lastBackoffBeforeReturn(logs: Run["logs"], device: string): number {
    const lines = logs.filter(l => l.device === device).map(l => l.line)
    const onlines = lines.flatMap((line, i) => (/mqtt: state online/i.test(line) ? [i] : []))
    if (onlines.length < 2) throw new Error(`${device}: not online twice:\n${lines.join("\n")}`)
    const before = lines.slice(0, onlines[1]).flatMap(line => /reconnect in (\d+) ms/.exec(line)?.[1] ?? [])
    return Number(before[before.length - 1])
}

interface Run {
    report: RunReport
    logs: { device: string; line: string }[]
}

async function run(broker?: URL): Promise<Run> {
    const logs: Run["logs"] = []
    const report = await runScenario(parseScenario(SCENARIO, "fidelity.yaml"), {
        program: await firmwareProgram(),
        broker,
        onBoardLog: (device, line) => logs.push({ device, line }),
    })
    return { report, logs }
}

/** The will of a silent connection: not before 1.5 × K after the last packet, not after `late` more. */
function assertSilentWill(
    t: import("ava").ExecutionContext,
    events: readonly ObservedEvent[],
    device: string,
    k: number,
    late: number,
) {
    const last = lastSample(events, device, FAULT_AT + 0.5)
    const will = firstStatus(events, device, "offline", FAULT_AT)
    const after = will - last
    t.log(`${device}: will ${after.toFixed(2)} s after its last sample (1.5 × K = ${1.5 * k} s)`)
    t.true(
        after >= 1.5 * k - EARLY_S,
        `${device}: the will came ${after.toFixed(2)} s after the last packet, sooner than 1.5 × ${k} s allows`,
    )
    t.true(
        after <= 1.5 * k + late,
        `${device}: the will came ${after.toFixed(2)} s after the last packet, later than 1.5 × ${k} + ${late} s`,
    )
}

const mosquitto = mosquittoAvailable()

test.serial(
    "against mosquitto: every fault's will and birth fall inside the bounds physics allows",
    async t => {
        if (!mosquitto.ok) return (t.log(`skipped: ${mosquitto.reason}`), t.pass())
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const { report, logs } = await run(new URL(broker.url))
        const events = report.events

        // Silent connections: the will only after 1.5 × K (and mosquitto's sweep).
        for (const device of ["power", "hole", "wifi"])
            assertSilentWill(t, events, device, 2, MOSQUITTO_SWEEP_S)
        t.true(
            broker.logLines().some(l => /Client fieldlink-power has exceeded timeout/.test(l)),
            "mosquitto timed the powerless board out by keep-alive",
        )

        // A reset both ways: the will at once.
        const cutWill = firstStatus(events, "cut", "offline", FAULT_AT) - FAULT_AT
        t.true(cutWill < 1, `cut: will ${cutWill.toFixed(2)} s after the reset`)

        // A quick power cycle: the new connection takes over; mosquitto publishes the old will, then the birth.
        const rebootOffline = firstStatus(events, "reboot", "offline", FAULT_AT)
        t.true(
            rebootOffline >= FAULT_AT + 1,
            `reboot: offline at t=${rebootOffline.toFixed(2)}, before the board was back (t=${FAULT_AT + 1})`,
        )
        t.true(
            rebootOffline < lastSample(events, "reboot", FAULT_AT + 0.5) + 9,
            "reboot: the takeover, not the keep-alive, fired the will",
        )
        t.true(
            firstStatus(events, "reboot", "online", rebootOffline) - rebootOffline < 1,
            "reboot: the birth right after the takeover's will",
        )
        t.true(
            broker
                .logLines()
                .some(l => /Client fieldlink-reboot already connected, closing old connection/.test(l)),
            "mosquitto saw a takeover",
        )

        // A reset link: attempts are refused for four seconds, each followed by the firmware's
        // backoff (0.5 s doubling, full jitter). The birth comes at the attempt after the
        // delay in progress when the link returns: no later than that delay (+ a round trip).
        const cutBirth = firstStatus(events, "cut", "online", FAULT_AT + 4) - (FAULT_AT + 4)
        const delay = lastBackoffBeforeReturn(logs, "cut")
        t.log(
            `cut: birth ${cutBirth.toFixed(2)} s after the link came back; the backoff then in progress: ${delay / 1000} s`,
        )
        t.true(
            cutBirth <= delay / 1000 + 1,
            `cut: birth ${cutBirth.toFixed(2)} s after the link came back, later than the backoff of ${delay} ms allows`,
        )

        // Power back: the firmware boots and connects at once.
        const powerBirth = firstStatus(events, "power", "online", RESTORE_AT) - RESTORE_AT
        t.log(`power: birth ${powerBirth.toFixed(2)} s after the restore`)
        t.true(powerBirth < BOOT_TO_BIRTH_S, `power: birth ${powerBirth.toFixed(2)} s after the restore`)
        // The black hole ends: the attempt hanging in it completes at its SYN's next
        // retransmission, or is given up at the firmware's connect timeout and retried after
        // its backoff — never later than that.
        const holeBirth = firstStatus(events, "hole", "online", RESTORE_AT) - RESTORE_AT
        const holeDelay = lastBackoffBeforeReturn(logs, "hole")
        t.log(`hole: birth ${holeBirth.toFixed(2)} s after the restore; backoff ${holeDelay / 1000} s`)
        t.true(holeBirth > 0, "hole: no birth before the link came back")
        t.true(
            holeBirth <= CONNECT_TIMEOUT_S + holeDelay / 1000 + 1,
            `hole: birth ${holeBirth.toFixed(2)} s after the restore`,
        )
        t.true(report.ok)
    },
)

test.serial(
    "against the embedded aedes: the same faults; its keep-alive is exact, and a takeover fires the old will too",
    async t => {
        const { report, logs } = await run()
        const events = report.events
        for (const device of ["power", "hole", "wifi"]) assertSilentWill(t, events, device, 2, AEDES_LATE_S)
        const rebootOffline = firstStatus(events, "reboot", "offline", FAULT_AT)
        t.true(
            rebootOffline >= FAULT_AT + 1,
            `reboot: offline at t=${rebootOffline.toFixed(2)}, before the board was back`,
        )
        t.true(
            firstStatus(events, "reboot", "online", rebootOffline) - rebootOffline < 1,
            "reboot: the birth right after the takeover's will",
        )
        // WiFi loss: the board is told at once (its socket errors), unlike a black hole.
        t.true(
            logs.some(l => l.device === "wifi" && /WiFi lost/.test(l.line)),
            "the board's socket reported the lost WiFi",
        )
        t.false(
            logs.some(l => l.device === "hole" && /WiFi lost|reset/.test(l.line)),
            "a black hole tells the board nothing",
        )
    },
)

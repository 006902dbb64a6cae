// Serial-side faults behaving as the real thing: a device reset behind the gateway (hello
// again, a new seq run), a USB cable pulled (the port and the device's power go), and the
// gateway's host losing power (its broker connections go silent: every will only after
// 1.5 × the gateway's keep-alive, never at once). Real gateway process, real PTYs; the
// embedded broker (exact keep-alive timing), and mosquitto (checks every ~6 s).
import test from "ava"
import { runScenario } from "../../sim/scenario/run.js"
import { parseScenario } from "../../sim/scenario/load.js"
import { socatProblem } from "../../sim/serial/pty.js"
import type { ObservedEvent } from "../../sim/scenario/expect.js"
import { firmwareProgram } from "../support/firmware.js"
import { isCI } from "../support/binaries.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"

/** The devices send twice a second: each connection's last packet is within 0.5 s before the cut. */
const SAMPLE_GAP_S = 0.5
const EARLY_S = 0.25

const SCENARIO = `
name: serial faults
seed: 5
duration: 35
gateway: { id: gw-fid, keepalive: 2 }
serial:
  - { id: meter-1, rate: 2, live: 2 }
  - { id: meter-2, rate: 2, live: 2 }
faults:
  - { name: reset, type: serial-reset, target: meter-1, at: 3, for: 1 }
  - { name: unplug, type: serial-unplug, target: meter-2, at: 6, for: 2 }
  # Longer than mosquitto's latest will (1.5 × 2 s + 7 s): power back sooner would close
  # the frozen gateway's sockets (FIN) before mosquitto's sweep, and the will would come
  # from that, not from the keep-alive.
  - { name: host, type: gateway-power-cut, at: 14, for: 11 }
expect:
  - { type: status, device: meter-2, becomes: offline, after: unplug, within: 2 }
  - { type: status, device: meter-2, becomes: online, after: unplug.end, within: 10 }
  # A reset is a new seq run, not a loss; what a re-plugged board prints before the
  # gateway finds its port again is lost, as on hardware: that window is left out.
  - { type: no-telemetry-lost, device: meter-1, from: 0, to: host }
  - { type: no-telemetry-lost, device: meter-2, from: 0, to: unplug }
  # 1.5 × 2 s after each connection's last packet, + up to 7 s on mosquitto.
  - { type: status, device: "meter-*", becomes: offline, after: host, within: 10 }
  - { type: status, device: "meter-*", becomes: online, after: host.end, within: 15 }
`

const seqs = (events: readonly ObservedEvent[], device: string, from: number, to: number) =>
    events
        .filter(e => e.device === device && e.kind === "telemetry" && e.t >= from && e.t <= to)
        .map(e => (JSON.parse(e.value) as { seq: number }).seq)

/** Every device's will after the host's power cut at t=14, in seconds after it. */
function hostWills(t: import("ava").ExecutionContext, events: readonly ObservedEvent[]): number[] {
    return ["meter-1", "meter-2"].map(device => {
        const will = events.find(
            e => e.device === device && e.kind === "status" && e.value === "offline" && e.t >= 14,
        )!
        const after = will.t - 14
        t.log(`${device}: will ${after.toFixed(2)} s after the host lost power`)
        t.true(
            after >= 3 - SAMPLE_GAP_S - EARLY_S,
            `${device}: will ${after.toFixed(2)} s after the power cut: sooner than 1.5 × the gateway's keep-alive allows`,
        )
        return after
    })
}

test.serial(
    "serial faults: reset and re-plug start a new seq run; a host power cut leaves every will to the keep-alive",
    async t => {
        const noSocat = socatProblem()
        if (noSocat && !isCI()) return (t.log(`skipped: ${noSocat}`), t.pass())
        const report = await runScenario(parseScenario(SCENARIO, "serial-faults.yaml"), {
            program: await firmwareProgram(),
        })
        t.log(report.results.map(r => `${r.ok ? "✔" : "✘"} ${r.text}`).join("\n"))
        t.true(report.ok)
        const events = report.events

        // A reset: the device says hello again and counts from 1 (a reboot, not a loss).
        const afterReset = seqs(events, "meter-1", 4, 11)
        t.is(afterReset[0], 1, `meter-1 after its reset: ${afterReset.join(",")}`)
        // A re-plugged USB board was without power: it boots and counts from 1 again. What it
        // prints before the gateway has found the port again is lost, as on hardware.
        const beforeUnplug = seqs(events, "meter-2", 0, 6)
        const afterPlug = seqs(events, "meter-2", 8, 13)
        t.true(
            afterPlug[0] < beforeUnplug[beforeUnplug.length - 1],
            `meter-2: a new seq run after its re-plug: ${beforeUnplug.join(",")} | ${afterPlug.join(",")}`,
        )

        // The host's power cut at t=14: the sockets go silent, so no will before 1.5 × 2 s
        // after the last packet; aedes times it exactly.
        for (const after of hostWills(t, events))
            t.true(after <= 3 + 0.75, `will ${after.toFixed(2)} s after the power cut: aedes is exact`)
        for (const device of ["meter-1", "meter-2"]) {
            const before = seqs(events, device, 0, 14)
            const after = seqs(events, device, 25, 35)
            t.true(
                after[0] < before[before.length - 1],
                `${device} booted again with the host: a new seq run: ${after.join(",")}`,
            )
        }
    },
)

const mosquitto = mosquittoAvailable()

test.serial(
    "against mosquitto: a host power cut's wills come between 1.5 × the gateway's keep-alive and the next sweep",
    async t => {
        const noSocat = socatProblem()
        if (noSocat && !isCI()) return (t.log(`skipped: ${noSocat}`), t.pass())
        if (!mosquitto.ok) return (t.log(`skipped: ${mosquitto.reason}`), t.pass())
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const report = await runScenario(parseScenario(SCENARIO, "serial-faults.yaml"), {
            program: await firmwareProgram(),
            broker: new URL(broker.url),
        })
        t.log(report.results.map(r => `${r.ok ? "✔" : "✘"} ${r.text}`).join("\n"))
        t.true(report.ok)
        for (const after of hostWills(t, report.events))
            t.true(after <= 3 + 7, `will ${after.toFixed(2)} s after the power cut`)
        const lines = broker.logLines()
        t.true(
            lines.some(l => /Client \S+ has exceeded timeout/.test(l)),
            `mosquitto timed the gateway's connections out; its log about them:\n${lines
                .filter(l => /fieldlink-(meter|gateway)|exceeded|closed its connection|Socket error/.test(l))
                .slice(-20)
                .join("\n")}`,
        )
    },
)

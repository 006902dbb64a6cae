// `fieldlink sim` on worker threads and in shards, as a user runs it: separate processes,
// the real firmware in the real VM on each worker, against a real mosquitto.
import test from "ava"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness, type Witness } from "../support/witness.js"
import { FIELDLINK_BIN, runCli, startCli } from "../support/cli.js"
import { waitFor } from "../support/wait.js"

/** The firmware's boot and first connect, on a loaded two-core machine. */
const ONLINE_TIMEOUT_MS = 60_000
const COMMON = ["--interval", "1000", "--serial", "0", "--no-dashboard"]

test.serial("bad --workers and --shard values are named, with what is expected, and exit 2", async t => {
    const broker = ["--broker", "mqtt://127.0.0.1:1"]
    // The parsing itself is covered case by case in test/sim/workers-plan.test.ts: here, that
    // the command reports each kind of mistake.
    const cases: [string[], RegExp][] = [
        [["sim", "--workers", "0"], /--workers expects a whole number from 1 to 256, got '0'/],
        [["sim", "--shard", "3/2", ...broker], /--shard expects K from 1 to N \(2\).*got '3\/2'/],
        [
            ["sim", "--shard", "1/2"],
            /--shard 1\/2 runs part of a fleet against a broker the shards share: name it with --broker URL/,
        ],
        [
            ["sim", "--shard", "1/2", "--serial", "1", ...broker],
            /--serial does not go with --shard: every shard would bring the same serial device ids/,
        ],
        [["sim", "x.yaml", "--shard", "1/2"], /--shard does not go with a scenario file/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(args)))
    cases.forEach(([args, expected], i) => {
        t.is(results[i].code, 2, args.join(" "))
        t.regex(results[i].stderr, expected, args.join(" "))
    })
})

test.serial(
    "more boards than this process may open sockets for: refused before any starts, with what to do",
    async t => {
        // bash lowers both limits, then execs node (which can raise its soft limit only to the hard one).
        const r = await promisify(execFile)(
            "bash",
            [
                "-c",
                'ulimit -n 300 && exec "$0" "$@"',
                process.execPath,
                FIELDLINK_BIN,
                "sim",
                "--boards",
                "200",
            ],
            { timeout: 60_000 },
        ).then(
            () => ({ code: 0, stderr: "" }),
            (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
        )
        t.is(r.code, 2)
        t.regex(
            r.stderr,
            /200 boards need about 600 open files .* but this process may open 300 \(ulimit -n\)/,
        )
        t.regex(
            r.stderr,
            /raise the hard limit .* use an external --broker, or split the fleet over machines with --shard K\/N/,
        )
    },
)

async function waitOnline(w: Witness, ids: string[]): Promise<void> {
    for (const id of ids)
        await w.waitFor(
            m => m.topic === `fieldlink/devices/${id}/status` && m.text === "online",
            ONLINE_TIMEOUT_MS,
        )
}

/** Each of `ids` delivers `count` samples at the witness (counted from now). */
async function waitDelivering(w: Witness, ids: string[], count: number): Promise<void> {
    const from = w.messages().length
    await waitFor(
        () =>
            ids.every(
                id =>
                    w
                        .messages()
                        .slice(from)
                        .filter(m => m.topic === `fieldlink/devices/${id}/telemetry`).length >= count,
            ),
        { what: `${count} samples from each of ${ids.join(", ")}`, timeoutMs: 20_000 },
    )
}

const available = mosquittoAvailable()
if (available.ok) {
    test.serial("--workers 2: boards on both workers are all online and deliver at a subscriber", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "fieldlink/devices/+/#")
        t.teardown(() => w.stop())
        const sim = startCli([
            "sim",
            "--boards",
            "4",
            "--workers",
            "2",
            "--broker",
            m.url,
            "--id-prefix",
            "wk",
            ...COMMON,
        ])
        t.teardown(() => sim.child.kill("SIGKILL"))
        const ids = ["wk-1", "wk-2", "wk-3", "wk-4"]
        await waitOnline(w, ids)
        t.regex(sim.output(), /starting 4 board\(s\) wk-1 … wk-4 on 2 worker thread\(s\)/)
        t.regex(sim.output(), /worker 1: wk-1 … wk-2 · worker 2: wk-3 … wk-4/)
        await waitDelivering(w, ids, 3)
        sim.child.kill("SIGTERM")
        t.is(await sim.exited, 0, sim.output())
        for (const id of ids)
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "offline", 10_000)
    })

    test.serial(
        "--shard 1/2 and 2/2 against one broker: disjoint ids that together cover the fleet",
        async t => {
            const m = await startMosquitto()
            t.teardown(() => m.stop())
            const w = await startWitness(m.url, "fieldlink/devices/+/#")
            t.teardown(() => w.stop())
            const shard = (k: number, workers: number) =>
                startCli([
                    "sim",
                    "--boards",
                    "5",
                    "--shard",
                    `${k}/2`,
                    "--workers",
                    String(workers),
                    "--broker",
                    m.url,
                    "--id-prefix",
                    "fleet",
                    ...COMMON,
                ])
            const one = shard(1, 1)
            t.teardown(() => one.child.kill("SIGKILL"))
            const two = shard(2, 2)
            t.teardown(() => two.child.kill("SIGKILL"))
            const ids = ["fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5"]
            await waitOnline(w, ids)
            t.regex(one.output(), /starting 2 board\(s\) fleet-1 … fleet-2 \(shard 1\/2 of a fleet of 5\)/)
            t.regex(two.output(), /starting 3 board\(s\) fleet-3 … fleet-5 \(shard 2\/2 of a fleet of 5\)/)
            await waitDelivering(w, ids, 3)
            // One id on two machines would take each other's connection over: the broker says so.
            t.false(
                m.logLines().some(l => /already connected, closing old connection/.test(l)),
                m.logLines().join("\n"),
            )
            t.false(
                w.messages().some(x => /\/status$/.test(x.topic) && x.text === "offline"),
                "no board went offline while both shards ran",
            )
            const seen = new Set(
                w
                    .messages()
                    .filter(x => x.topic.endsWith("/telemetry"))
                    .map(x => x.topic.split("/")[2]),
            )
            t.deepEqual([...seen].sort(), ids)
            one.child.kill("SIGTERM")
            two.child.kill("SIGTERM")
            t.is(await one.exited, 0, one.output())
            t.is(await two.exited, 0, two.output())
        },
    )

    test.serial(
        "a worker that crashes is reported with its boards, the rest stop gracefully, exit 1",
        async t => {
            const m = await startMosquitto()
            t.teardown(() => m.stop())
            const w = await startWitness(m.url, "fieldlink/devices/+/status")
            t.teardown(() => w.stop())
            const args = [
                "sim",
                "--boards",
                "2",
                "--workers",
                "2",
                "--broker",
                m.url,
                "--id-prefix",
                "crash",
                ...COMMON,
            ]
            // Test-only fault injection (sim/workers/thread.ts): worker 2 throws 2 s after its boards started.
            const r = await runCli(args, 90_000, {
                ...process.env,
                FIELDLINK_SIM_TEST_CRASH_WORKER: "2@2000",
            })
            t.is(r.code, 1, r.stdout + r.stderr)
            t.regex(
                r.stderr,
                /worker 2 of 2 \(boards crash-2\) crashed: Error: crash injected .*; its boards stopped with it \(the broker fires their wills\)/,
            )
            t.regex(r.stdout, /stopping the other workers/)
            // Both were online; the crashed worker's board by its will, the other by its own goodbye.
            await waitOnline(w, ["crash-1", "crash-2"])
            for (const id of ["crash-1", "crash-2"])
                await w.waitFor(
                    x => x.topic === `fieldlink/devices/${id}/status` && x.text === "offline",
                    10_000,
                )
            t.true(
                m.logLines().some(l => /Received DISCONNECT from fieldlink-crash-1/.test(l)),
                "the surviving worker's board disconnected gracefully",
            )
            t.false(m.logLines().some(l => /Received DISCONNECT from fieldlink-crash-2/.test(l)))
        },
    )
} else {
    test.serial("simulator worker tests (skipped: " + available.reason + ")", t => t.pass())
}

// Scenarios as users run them in CI: `fieldlink sim FILE --check`, a separate process,
// the real firmware in the VM, the embedded broker, faults on a schedule.
import test from "ava"
import { fileURLToPath } from "node:url"
import { runCli } from "../support/cli.js"

const shipped = (name: string) => fileURLToPath(new URL(`../../sim/scenarios/${name}`, import.meta.url))
const local = (name: string) => fileURLToPath(new URL(`./scenarios/${name}`, import.meta.url))

test("the shipped status-semantics scenario passes: wills on reset, black-holed, WiFi-less and powerless boards, births after every return", async t => {
    const r = await runCli(["sim", shipped("status-semantics.yaml"), "--check"], 120000)
    t.log(
        r.stdout
            .split("\n")
            .filter(l => /✔|✘|met/.test(l))
            .join("\n"),
    )
    t.is(r.code, 0, r.stdout + r.stderr)
    t.regex(r.stdout, /(\d+) of \1 expectations met/)
    t.notRegex(r.stdout, /✘/)
})

test("the shipped serial-gateway scenario passes: the real gateway, scripted devices and the firmware over its log UART", async t => {
    const r = await runCli(["sim", shipped("serial-gateway.yaml"), "--check"], 150000)
    t.log(
        r.stdout
            .split("\n")
            .filter(l => /✔|✘|met/.test(l))
            .join("\n"),
    )
    t.is(r.code, 0, r.stdout + r.stderr)
    t.regex(r.stdout, /(\d+) of \1 expectations met/)
    t.regex(r.stdout, /✔ meter-2: \d+ samples from t=0\.0 s to t=34\.0 s, none lost/)
})

test("a scenario with an impossible expectation fails --check with a readable report", async t => {
    const r = await runCli(["sim", local("impossible.yaml"), "--check"], 60000)
    t.is(r.code, 1, r.stdout + r.stderr)
    t.regex(r.stdout, /✔ calm sent \d+ telemetry samples/)
    t.regex(r.stdout, /✘ calm should become offline within 1 s of t=1\.0 s \(t=1\.0 s\); it did never/)
    t.regex(r.stdout, /1 of 2 expectations met; 1 not met/)
})

test("a scenario asserting an offline sooner than a power cut allows fails: the will waits for the keep-alive", async t => {
    const r = await runCli(["sim", local("power-cut-too-fast.yaml"), "--check"], 60000)
    t.is(r.code, 1, r.stdout + r.stderr)
    // Silence starts at the board's last packet, up to one interval (1 s) before the cut,
    // so the will comes 1.5 × 2 s of silence later: about 2–3 s after the cut, never within 1 s.
    const late =
        /✘ unplugged should become offline within 1 s of power \(t=2\.0 s\); it did only after (\d+\.\d) s/.exec(
            r.stdout,
        )
    t.truthy(late, r.stdout)
    t.true(Number(late![1]) > 1, r.stdout)
    t.regex(r.stdout, /✔ unplugged became offline \d+\.\d s after power \(bound 4 s\)/)
})

test("without --check the same report is printed and the exit code is 0", async t => {
    const r = await runCli(["sim", local("impossible.yaml")], 60000)
    t.is(r.code, 0)
    t.regex(r.stdout, /1 not met/)
})

test("a bad scenario file is refused before anything starts, exit 2", async t => {
    const r = await runCli(["sim", local("missing.yaml"), "--check"])
    t.is(r.code, 2)
    t.regex(r.stderr, /missing\.yaml: 1 problem:\n {2}cannot read the file: ENOENT/)
    const mixed = await runCli(["sim", local("impossible.yaml"), "--boards", "3"])
    t.is(mixed.code, 2)
    t.regex(mixed.stderr, /--boards does not go with a scenario file/)
})

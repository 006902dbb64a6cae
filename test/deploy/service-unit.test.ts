// The shipped systemd unit's environment: how it is read (for the deploy check and the
// gateway bench, which start the gateway as the unit does) and what it does to Node.
import test from "ava"
import { spawnSync } from "node:child_process"
import { serviceEnvironment, unitEnvironment } from "../support/service-unit.js"

test("Environment= lines are read as systemd reads them", t => {
    const env = unitEnvironment(
        [
            "[Service]",
            "Environment=A=1",
            "  Environment=B=\"two words\" C=3 'D=four = 4'",
            "Environment=A=again",
            "ExecStart=/bin/true A=ignored",
        ].join("\n"),
    )
    t.deepEqual(env, { A: "again", B: "two words", C: "3", D: "four = 4" })
})

test("an empty Environment= clears what came before", t => {
    t.deepEqual(unitEnvironment("Environment=A=1\nEnvironment=\nEnvironment=B=2"), { B: "2" })
})

test("a word without NAME= is refused with its line", t => {
    const error = t.throws(() => unitEnvironment("[Service]\nEnvironment=oops", "x.service"))
    t.is(error?.message, 'x.service:2: "oops" is not NAME=value')
})

test("escapes and specifiers are refused rather than passed on unexpanded", t => {
    t.throws(() => unitEnvironment("Environment=HOME_DIR=%h"), { message: /specifiers/ })
    t.throws(() => unitEnvironment('Environment="A=a\\"b"'), { message: /escapes/ })
})

/**
 * The size V8's young generation reached in a `node` that churns through objects which
 * live a while, as queued lines do (a ring of the latest 100,000).
 */
function youngGenerationAfterChurn(env: Record<string, string>): number {
    const program = `
        const v8 = require("node:v8")
        const ring = new Array(100000)
        for (let i = 0; i < 4e6; i++) ring[i % ring.length] = { i, s: "x" + (i % 977) }
        const young = v8.getHeapSpaceStatistics().find(s => s.space_name === "new_space")
        process.stdout.write(String(young.space_size))`
    const out = spawnSync(process.execPath, ["-e", program], {
        env: { ...process.env, NODE_OPTIONS: "", ...env },
        encoding: "utf8",
    })
    if (out.status !== 0) throw new Error(`node failed: ${out.stderr}`)
    return Number(out.stdout)
}

test("the unit keeps V8's young generation small, which Node's defaults do not", t => {
    const env = serviceEnvironment()
    t.is(env.NODE_ENV, "production")
    const MB = 1024 * 1024
    const shipped = youngGenerationAfterChurn(env)
    const defaults = youngGenerationAfterChurn({})
    t.true(shipped <= 4 * MB, `young generation with the unit's NODE_OPTIONS: ${shipped / MB} MB`)
    t.true(
        defaults > 2 * shipped,
        `Node's default grew to ${defaults / MB} MB, the unit's to ${shipped / MB} MB`,
    )
})

// The simulator serves the roles a program uses, in the real VM: a program of this test's
// own (a button that switches a relay) compiled with the pinned compiler; the button is
// pressed from the host, the relay's state is observed from the host. A program using a
// role the simulator cannot serve fails to start with the role named, instead of hanging.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import test from "ava"
import { compileDeviceScript, UnservedRoleError, waitForLog } from "../../devs-host/index.js"
import { Fleet } from "../../sim/fleet.js"
import { waitFor } from "../support/wait.js"

function project(source: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-roles-"))
    writeFileSync(path.join(dir, "devsconfig.json"), "{}\n")
    mkdirSync(path.join(dir, "src"))
    writeFileSync(path.join(dir, "src", "main.ts"), source)
    return dir
}

const BUTTON_RELAY = `import * as ds from "@devicescript/core"
const button = new ds.Button()
const relay = new ds.Relay()
button.down.subscribe(async () => {
    console.log("button down")
    await relay.enabled.write(!(await relay.enabled.read()))
})
// Said again and again: the host may start listening after the program started.
setInterval(() => console.log("ready"), 300)
`

// No broker is needed: these programs never open a socket.
const NO_BROKER = new URL("mqtt://127.0.0.1:9")

test("a button pressed from the host switches the program's relay; the host sees the relay's state", async t => {
    t.timeout(240000)
    const dir = project(BUTTON_RELAY)
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const compiled = await compileDeviceScript({ projectDir: dir, entry: "src/main.ts", cache: false })
    t.true(
        compiled.services.some(s => s.name === "Relay") && compiled.services.some(s => s.name === "Button"),
        compiled.services.map(s => s.name).join(", "),
    )
    const relay: number[] = []
    const fleet = await Fleet.start({
        broker: NO_BROKER,
        topicRoot: "fieldlink",
        seed: 1,
        program: compiled.bytecode,
        services: compiled.services,
        boards: [{ deviceId: "b-1", keepAliveSeconds: 30, intervalMs: 1000 }],
        onActuator: (_id, kind, value) => kind === "relay" && relay.push(value),
    })
    t.teardown(() => fleet.kill())
    const board = fleet.board("b-1")!
    await waitForLog(board, /^ready$/, 30000)
    const down = waitForLog(board, /^button down$/, 10000)
    t.true(fleet.press("b-1", 100))
    await down
    await waitFor(() => relay.length === 1, { what: "the relay to switch on", timeoutMs: 10000 })
    t.deepEqual(relay, [1])
    const again = waitForLog(board, /^button down$/, 10000)
    // The previous press is released after 100 ms; press again once it is up.
    await new Promise(resolve => setTimeout(resolve, 300))
    t.true(fleet.press("b-1", 100))
    await again
    await waitFor(() => relay.length === 2, { what: "the relay to switch off", timeoutMs: 10000 })
    t.deepEqual(relay, [1, 0])
})

test("a role the simulator cannot serve is named before the board starts", async t => {
    t.timeout(240000)
    const dir = project(
        `import * as ds from "@devicescript/core"\nconst a = new ds.Accelerometer()\nconsole.log(await a.reading.read())\n`,
    )
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const compiled = await compileDeviceScript({ projectDir: dir, entry: "src/main.ts", cache: false })
    const error = await t.throwsAsync(
        Fleet.start({
            broker: NO_BROKER,
            topicRoot: "fieldlink",
            seed: 1,
            program: compiled.bytecode,
            services: compiled.services,
            boards: [{ deviceId: "b-1", keepAliveSeconds: 30, intervalMs: 1000 }],
        }),
        { instanceOf: UnservedRoleError },
    )
    t.regex(error!.message, /cannot serve: Accelerometer/)
})

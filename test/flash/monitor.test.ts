// `fieldlink monitor --port P`: the board's USB log through the real serialport, on a
// real pseudo-terminal (socat), with notes under the lines that tell why a board is or
// is not online; and the notes themselves.
import test from "ava"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { noteFor, whatToLookFor } from "../../flash/board-log.js"
import { PtyPair, socatProblem } from "../../sim/serial/pty.js"
import { removeOnExit } from "../support/cleanup.js"
import { runCli, startCli } from "../support/cli.js"
import { waitFor } from "../support/wait.js"

test("notes: storage, firmware and WiFi lines are explained; other lines are not", t => {
    t.is(noteFor("fstor: formatting now")?.stage, "storage")
    t.regex(noteFor("fstor: formatting now")!.note, /erased it: the program and settings written are gone/)
    t.is(noteFor("fieldlink: device xiao-c3-a1b2c3 fw 0.1.0 broker 192.168.1.10:1883")?.stage, "firmware")
    t.is(noteFor("fieldlink: config error mqtt_port: ...")?.stage, "firmware")
    t.regex(noteFor("> fieldlink: wifi: not joined 'fieldnet' after 20 s; rescanning")!.note, /2\.4 GHz/)
    t.is(noteFor("jdif: autobind"), undefined)
    const order = whatToLookFor("fieldnet").map(l => l.slice(0, 2))
    t.deepEqual(order, ["1.", "2.", "3."])
    t.regex(
        whatToLookFor("fieldnet").join("\n"),
        /^1\. storage[\s\S]*^2\. the firmware's "fieldlink:" lines[\s\S]*^3\. WiFi[\s\S]*"fieldnet"/m,
    )
})

test("fieldlink monitor: a missing --port or port is a clear error", async t => {
    const none = await runCli(["monitor"])
    t.is(none.code, 2)
    t.regex(none.stderr, /--port is required/)
    const missing = await runCli(["monitor", "--port", "/dev/ttyUSB-not-there"])
    t.is(missing.code, 1)
    t.regex(missing.stderr, /the port \/dev\/ttyUSB-not-there does not exist/)
})

const socat = socatProblem()
;(socat ? test.skip : test.serial)(
    "fieldlink monitor shows the board's log from a serial port, with notes",
    async t => {
        const dir = mkdtempSync(join(tmpdir(), "fieldlink-monitor-"))
        removeOnExit(dir)
        const pair = await PtyPair.open(dir, "board")
        t.teardown(() => pair.close())
        const cli = startCli(["monitor", "--port", pair.gatewayPath, "--timeout", "30"])
        t.teardown(() => cli.child.kill("SIGKILL"))
        await waitFor(() => /monitoring .* at 115200 baud/.test(cli.output()), {
            what: "the monitor to open the port",
            timeoutMs: 15_000,
        })
        await pair.write(
            "fstor: formatting now\r\nfstor: mounted; 200000 free\r\n\u001b[32m> fieldlink: device c3-1 fw 0.1.0 broker 10.0.0.2:1883\u001b[0m\r\n> fieldlink: wifi: joining 'fieldnet'\n",
        )
        await waitFor(() => /wifi: joining 'fieldnet'/.test(cli.output()), {
            what: "the log lines",
            timeoutMs: 10_000,
        })
        const out = cli.output()
        t.regex(
            out,
            /fstor: formatting now\n {4}\^ the runtime found no storage it could mount and erased it/,
        )
        t.regex(
            out,
            /> fieldlink: device c3-1 fw 0\.1\.0 broker 10\.0\.0\.2:1883\n {4}\^ the firmware started with its settings/,
            "colours removed, the note under its line",
        )
        cli.child.kill("SIGINT")
        t.is(await cli.exited, 0)
    },
)

/**
 * The harness's floor, not a bridge anyone would deploy: one `mosquitto_pub -l` (C, the
 * broker's own client) per port, reading the port's lines on its standard input and
 * publishing each as is at QoS 1 to <root>/devices/<port name>/telemetry. No Node event
 * loop, no framing, no queue: what latency is left is the load generator, the
 * pseudo-terminals, mosquitto and the subscriber sharing these cores, so a bridge's p99
 * can be read against what this machine can show at all.
 *
 *   node --import tsx bench/gateway/native-floor.ts 127.0.0.1 1883 /dev/pts/3 [...]
 */
import { spawn, type ChildProcess } from "node:child_process"
import { closeSync, constants, openSync } from "node:fs"
import path from "node:path"
import { tieToParent } from "@fieldlink/test-support/cleanup"

const [host, port, ...ports] = process.argv.slice(2)
let stopping = false
const children: ChildProcess[] = ports.map(p => {
    // O_NOCTTY: reading a terminal must not make it this process's controlling terminal.
    const fd = openSync(p, constants.O_RDONLY | constants.O_NOCTTY)
    const child = spawn(
        "mosquitto_pub",
        ["-h", host, "-p", port, "-q", "1", "-l", "-t", `fieldlink/devices/${path.basename(p)}/telemetry`],
        { stdio: [fd, "ignore", "inherit"] },
    )
    closeSync(fd)
    tieToParent(child)
    child.once("exit", code => {
        if (!stopping)
            console.error(`native-floor: mosquitto_pub for ${p} exited (${code}) before the bench stopped it`)
    })
    return child
})
process.on("SIGTERM", () => {
    stopping = true
    const exited = children.map(c => c.exitCode !== null || new Promise(r => c.once("exit", r)))
    for (const c of children) c.kill("SIGTERM")
    void Promise.all(exited).then(() => process.exit(0))
})

// A port that fails to open is retried on time even when the wall clock steps back (NTP
// correcting a Pi that booted without a real-time clock): the manager's retry times are on
// the monotonic clock. The real manager, finder and serial transport, in this process so
// the test can step the wall clock (Date.now is replaced: the one stand-in here).
import { writeFileSync } from "node:fs"
import path from "node:path"
import { PassThrough } from "node:stream"
import test from "ava"
import { configFromObject } from "../../gateway/config/load.js"
import { DeviceHub } from "../../gateway/device/hub.js"
import { createGatewayMetrics } from "../../gateway/obs/gateway-metrics.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { QueueStore } from "../../gateway/queue/store.js"
import { PortFinder } from "../../gateway/serial/discovery.js"
import { PortManager } from "../../gateway/serial/manager.js"
import { nodeSerialTransport, type SerialTransport } from "../../gateway/serial/transport.js"
import { waitFor } from "../support/wait.js"
import { tempDir } from "./harness.js"

test("a port that failed to open is retried after its backoff though the wall clock stepped back an hour", async t => {
    const dir = tempDir(t)
    // A regular file: it exists, so it is found, and opening it as a serial port fails (no tty).
    const port = path.join(dir, "ttyNOTATTY")
    writeFileSync(port, "")
    const config = configFromObject(
        {
            gateway: { id: "gw-clock", stateDir: path.join(dir, "state"), scanIntervalMs: 100 },
            broker: { url: "mqtt://127.0.0.1:1" },
            ports: [{ path: port }],
        },
        "test",
        { baseDir: dir, env: {} },
    )
    const log = createLogger({ level: "warn", format: "json", destination: new PassThrough() })
    const metrics = createGatewayMetrics()
    const store = new QueueStore(config.stateDir, config.queue, log)
    const opens: number[] = []
    const counting: SerialTransport = {
        open: (...args) => (opens.push(performance.now()), nodeSerialTransport.open(...args)),
    }
    const manager = new PortManager({
        config,
        transport: counting,
        finder: new PortFinder(log),
        hub: new DeviceHub({ config, log, metrics, store }),
        log,
        metrics,
    })
    const realNow = Date.now
    t.teardown(() => {
        Date.now = realNow
        return manager.stop()
    })
    await manager.start()
    await waitFor(() => opens.length >= 1, { timeoutMs: 5000, what: "the first open" })
    await waitFor(() => manager.portStates().some(p => p.path === port && !p.open), {
        timeoutMs: 5000,
        what: "the first open to fail",
    })
    const stepped = realNow() - 3_600_000
    const steppedAt = realNow()
    Date.now = () => stepped + (realNow() - steppedAt)
    // The first retry is 1 s after the failure; scans every 100 ms.
    await waitFor(() => opens.length >= 2, { timeoutMs: 3000, what: "the retry after 1 s" })
    t.true(opens[1] - opens[0] >= 1000, `retried ${Math.round(opens[1] - opens[0])} ms after the first open`)
})

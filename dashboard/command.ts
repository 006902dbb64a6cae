/** `fieldlink dashboard`: the fleet in a browser. */
import { UsageError } from "@fieldlink/lib/cli/errors"
import { brokerFlag, commandFlags, wholeFlag } from "@fieldlink/lib/cli/flags"
import { stopSignal } from "@fieldlink/lib/cli/run"
import { discoveryPrefixFlag, HA_FLAGS, topicRootFlag } from "@fieldlink/homeassistant/flags"
import { fieldlinkVersion } from "@fieldlink/homeassistant/version"
import { startDashboard } from "./service.js"

const HELP = `usage: fieldlink dashboard --broker URL [--port P] [--host H] [--token T] [--commands]
                           [--topic-root R] [--ha] [--ha-prefix P]

Serves a web page with every device under the topic root: status and since when,
transport and gateway, board and firmware, the last reading and a chart of each reading
over the last hour, and the gateways with their queue, drops and ports. It updates live.

  --broker URL     mqtt://host:port or mqtts://host:port (required)
  --port P         HTTP port (default 8080; 0 picks a free one)
  --host H         address to listen on (default 127.0.0.1: this machine only)
  --token T        required when --host is not a loopback address (also read from
                   FIELDLINK_DASHBOARD_TOKEN); at least 16 characters. Open the printed
                   address once (it carries ?token=…); the page keeps it as a cookie.
  --commands       let the page send 'interval' to devices (off by default)
  --topic-root R   topic root (default "fieldlink")
  --ha             also announce the fleet to Home Assistant (MQTT discovery; see
                   'fieldlink homeassistant --help')
  --ha-prefix P    Home Assistant's discovery prefix (default "homeassistant")`

const SPEC = {
    broker: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    token: { type: "string" },
    commands: { type: "boolean" },
    "topic-root": { type: "string" },
    ha: { type: "boolean" },
    ...HA_FLAGS,
} as const

export async function dashboardCommand(argv: string[]): Promise<number> {
    const flags = commandFlags("dashboard", argv, SPEC, HELP)
    if (!flags) return 0
    const broker = brokerFlag("dashboard", flags)
    if (!broker)
        throw new UsageError(
            "fieldlink dashboard: --broker URL is required, e.g. --broker mqtt://127.0.0.1:1883",
        )
    const port = wholeFlag("dashboard", flags, "port", 8080, 0, 65535)
    const host = String(flags.values.host ?? "127.0.0.1")
    const token =
        flags.values.token !== undefined
            ? String(flags.values.token)
            : process.env.FIELDLINK_DASHBOARD_TOKEN || undefined
    const topicRoot = topicRootFlag("dashboard", flags)
    if (flags.values["ha-prefix"] !== undefined && !flags.values.ha)
        throw new UsageError("fieldlink dashboard: --ha-prefix goes with --ha")
    const homeAssistant = flags.values.ha
        ? { prefix: discoveryPrefixFlag("dashboard", flags), version: fieldlinkVersion() }
        : undefined
    const stop = stopSignal()
    const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`)
    let dashboard
    try {
        dashboard = await startDashboard({
            broker,
            topicRoot,
            host,
            port,
            token,
            commands: flags.values.commands === true,
            homeAssistant,
            log,
        })
    } catch (e) {
        const message = (e as Error).message
        // Refusals of the configuration are usage mistakes: exit 2 with the reason.
        if (/needs a token|characters long|is taken/.test(message))
            throw new UsageError(`fieldlink dashboard: ${message}`)
        throw e
    }
    log(
        `dashboard: ${dashboard.url} (fleet under ${topicRoot}/ on ${broker.host}; commands ${flags.values.commands ? "on" : "off"}${homeAssistant ? `; Home Assistant discovery under ${homeAssistant.prefix}/` : ""}); Ctrl-C stops`,
    )
    await stop
    await dashboard.close()
    return 0
}

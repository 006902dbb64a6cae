/** `fieldlink homeassistant`: Home Assistant MQTT discovery for the fleet, as a service of its own. */
import { connectWatcher } from "@fieldlink/lib/mqtt/watcher"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { brokerFlag, commandFlags } from "@fieldlink/lib/cli/flags"
import { stopSignal } from "@fieldlink/lib/cli/run"
import { HomeAssistantDiscovery } from "./service.js"
import { discoveryPrefixFlag, HA_FLAGS, topicRootFlag } from "./flags.js"
import { fieldlinkVersion } from "./version.js"

const HELP = `usage: fieldlink homeassistant --broker URL [--ha-prefix P] [--topic-root R]

Announces every fieldlink device under the topic root to Home Assistant through MQTT
discovery: one sensor per reading (unit and device class from the key's suffix), the
interval as a number and a restart button for boards running the fieldlink firmware,
each gateway as a device of its own. Configs are retained; they are announced again when
Home Assistant says it is online, and removed when a device is forgotten (its retained
info cleared). Point Home Assistant's MQTT integration at the same broker.

  --broker URL      mqtt://host:port or mqtts://host:port (required)
  --ha-prefix P     Home Assistant's discovery prefix (default "homeassistant")
  --topic-root R    fieldlink's topic root (default "fieldlink")

Also available inside 'fieldlink dashboard --ha' and 'fieldlink sim --ha'.`

const SPEC = { broker: { type: "string" }, "topic-root": { type: "string" }, ...HA_FLAGS } as const

export async function homeAssistantCommand(argv: string[]): Promise<number> {
    const flags = commandFlags("homeassistant", argv, SPEC, HELP)
    if (!flags) return 0
    const broker = brokerFlag("homeassistant", flags)
    if (!broker)
        throw new UsageError(
            "fieldlink homeassistant: --broker URL is required, e.g. --broker mqtt://127.0.0.1:1883",
        )
    const prefix = discoveryPrefixFlag("homeassistant", flags)
    const topicRoot = topicRootFlag("homeassistant", flags)
    const stop = stopSignal()
    const client = await connectWatcher(broker, `fieldlink-homeassistant-${process.pid}`)
    const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`)
    const ha = new HomeAssistantDiscovery({ client, topicRoot, prefix, version: fieldlinkVersion(), log })
    await ha.start()
    log(
        `home assistant: announcing ${topicRoot}/devices/* under ${prefix}/ on ${broker.host}; Ctrl-C stops (the configs stay, retained)`,
    )
    await stop
    await ha.stop()
    await client.endAsync()
    return 0
}

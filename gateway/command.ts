/**
 * `fieldlink gateway`: run the serial-to-MQTT gateway from a config file, or from flags
 * for quick use. `--check` validates and exits. Exit codes: 0 stopped cleanly, 1 failed
 * at run time, 2 a mistake in flags or configuration (systemd's unit does not restart
 * on 2: RestartPreventExitStatus=2).
 */
import { existsSync } from "node:fs"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { brokerFlags, commandFlags, wholeFlag, type ParsedFlags } from "@fieldlink/lib/cli/flags"
import { ConfigError } from "@fieldlink/lib/config/errors"
import { safeUrl } from "@fieldlink/lib/mqtt/safe-url"
import type { GatewayConfig } from "./config/types.js"
import { genericIdWarning } from "./config/generic-id.js"
// The gateway itself and its dependencies (mqtt, serialport, pino, ajv, yaml) are
// imported once the flags are understood: --help and flag mistakes answer at once.
type ConfigLoader = typeof import("./config/load.js")

function help(program: string): string {
    const indent = " ".repeat(program.length)
    return `usage: ${program} --config FILE [--check] [--log-level L] [--log-format F]
       ${program} --broker URL --serial PATH[:BAUD] [--serial ...] [--id NAME]
       ${indent} [--topic-root R] [--state-dir DIR] [--http-port P] [--check]

Bridges devices on serial ports to an MQTT broker (docs/gateway.md): one MQTT
connection per device with its own will, a queue on disk while the broker is away,
commands down to the devices. Devices speak the line protocol of docs/serial-protocol.md.

  --config FILE      YAML or JSON configuration (see docs/gateway.md)
  --check            validate the configuration, print a summary, exit (0 = valid)
  --broker URL       mqtt://host:1883 or mqtts://host:8883 (without --config); repeat
                     for the nodes of one broker, tried in turn (broker.urls)
  --serial PATH[:B]  a port (or a glob such as '/dev/ttyACM*'), baud rate B (default
                     115200); repeat for several ports
  --id NAME          gateway id (default: the host name)
  --topic-root R     topic root (default "fieldlink")
  --state-dir DIR    where the queues live (default: $STATE_DIRECTORY or
                     ~/.local/state/fieldlink)
  --http-port P      health and metrics port, 0 = any free one (default 9464)
  --log-level L      trace, debug, info, warn, error (default info)
  --log-format F     auto, json or pretty (default auto: pretty on a terminal)

Without --config, FIELDLINK_MQTT_USERNAME and FIELDLINK_MQTT_PASSWORD are read from
the environment. SIGTERM or Ctrl-C stop gracefully: every device and the gateway
publish offline, DISCONNECT, and the queues are written to disk.`
}

const SPEC = {
    config: { type: "string" },
    check: { type: "boolean" },
    broker: { type: "string", multiple: true },
    serial: { type: "string", multiple: true },
    id: { type: "string" },
    "topic-root": { type: "string" },
    "state-dir": { type: "string" },
    "http-port": { type: "string" },
    "log-level": { type: "string" },
    "log-format": { type: "string" },
} as const

/** `PATH[:BAUD]`: a trailing `:digits` is the baud rate unless the whole text names a file. */
export function parseSerialFlag(text: string): { path?: string; glob?: string; baudRate?: number } {
    const m = /^(.*):(\d+)$/.exec(text)
    const [p, baud] = m && !existsSync(text) ? [m[1], Number(m[2])] : [text, undefined]
    const entry: { path?: string; glob?: string; baudRate?: number } = /[*?[]/.test(p)
        ? { glob: p }
        : { path: p }
    if (baud !== undefined) entry.baudRate = baud
    return entry
}

function configFromFlags(
    program: string,
    flags: ParsedFlags,
    { configFromObject }: ConfigLoader,
): GatewayConfig {
    const v = flags.values
    const urls = brokerFlags(program, flags)
    if (urls.length === 0)
        throw new UsageError(
            `${program}: give --config FILE, or --broker URL with --serial PATH (see '${program} --help')`,
        )
    const serial = (v.serial as string[] | undefined) ?? []
    if (serial.length === 0)
        throw new UsageError(`${program}: --broker needs at least one --serial PATH[:BAUD]`)
    const raw: Record<string, unknown> = {
        gateway: {
            ...(v.id !== undefined ? { id: v.id } : {}),
            ...(v["topic-root"] !== undefined ? { topicRoot: v["topic-root"] } : {}),
            ...(v["state-dir"] !== undefined ? { stateDir: v["state-dir"] } : {}),
        },
        broker: {
            // Several --broker: the nodes of one broker, tried in turn (broker.urls).
            ...(urls.length > 1 ? { urls: urls.map(u => u.toString()) } : { url: urls[0].toString() }),
            ...(process.env.FIELDLINK_MQTT_USERNAME !== undefined
                ? { username: { env: "FIELDLINK_MQTT_USERNAME" } }
                : {}),
            ...(process.env.FIELDLINK_MQTT_PASSWORD !== undefined
                ? { password: { env: "FIELDLINK_MQTT_PASSWORD" } }
                : {}),
        },
        ports: serial.map(parseSerialFlag),
        http: { port: wholeFlag("gateway", flags, "http-port", 9464, 0, 65535) },
    }
    return configFromObject(raw, "command line", { baseDir: process.cwd(), env: process.env })
}

function summary(c: GatewayConfig, safeUrl: (url: string) => string): string {
    const b = c.broker
    const lines = [
        `gateway ${c.id}: configuration is valid`,
        `  broker     ${b.urls.map(safeUrl).join(", ")} (MQTT ${b.protocolVersion === 4 ? "3.1.1" : "5"}, keep-alive ${b.keepaliveS} s, QoS ${b.qos}${b.tls ? ", TLS" : ""}${b.tls?.cert ? " with a client certificate" : ""}${b.username !== undefined ? ", user name set" : ""})`,
        `  topics     ${c.topicRoot}/devices/<id>/…, ${c.topicRoot}/gateways/${c.id}/…`,
        `  queue      ${c.queue.maxMessages} messages or ${c.queue.maxBytes} bytes per device, in ${c.stateDir}`,
        `  ports      ${c.ports.length}:`,
        ...c.ports.map(
            p =>
                `    ${p.label}  ${p.baudRate} baud, live ${p.live} s, lines ≤ ${p.maxLineBytes} bytes, checksum ${p.checksum}${p.id ? `, id ${p.id}` : ""}${p.retainedCommands.length > 0 ? `, restores retained ${p.retainedCommands.join(", ")}` : ""}`,
        ),
        `  http       ${c.http.enabled ? `${c.http.host}:${c.http.port}` : "off"}`,
    ]
    return lines.join("\n")
}

/** `program`: how the user called it, for messages (`fieldlink gateway`, or `fieldlink-gateway` installed alone). */
export async function gatewayCommand(argv: string[], program = "fieldlink gateway"): Promise<number> {
    const flags = commandFlags(program, argv, SPEC, help(program))
    if (!flags) return 0
    const v = flags.values
    if (v.config !== undefined && (v.broker !== undefined || v.serial !== undefined))
        throw new UsageError(`${program}: give either --config FILE or --broker/--serial, not both`)
    const level = v["log-level"] as string | undefined
    if (
        level !== undefined &&
        !["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)
    )
        throw new UsageError(
            `${program}: --log-level expects trace, debug, info, warn, error, fatal or silent, got '${level}'`,
        )
    const format = v["log-format"] as string | undefined
    if (format !== undefined && !["auto", "json", "pretty"].includes(format))
        throw new UsageError(`${program}: --log-format expects auto, json or pretty, got '${format}'`)

    let config: GatewayConfig
    const loader = await import("./config/load.js")
    const { createLogger } = await import("./obs/logger.js")
    try {
        config =
            v.config !== undefined
                ? loader.loadConfigFile(String(v.config))
                : configFromFlags(program, flags, loader)
    } catch (e) {
        if (e instanceof ConfigError) {
            console.error(`${program}: ${e.message}`)
            return 2
        }
        throw e
    }
    const idWarning = genericIdWarning(config.id, config.idFromHostName)
    if (v.check) {
        console.log(summary(config, safeUrl))
        if (idWarning) console.log(`warning: ${idWarning}`)
        return 0
    }
    const log = createLogger({
        level: level ?? config.log.level,
        format: (format ?? config.log.format) as "auto" | "json" | "pretty",
    })
    if (idWarning) log.warn({ gateway: config.id }, idWarning)
    const { Gateway } = await import("./gateway.js")
    const gateway = new Gateway(config, { log })
    let signals = 0
    let wake: () => void = () => undefined
    const stopped = new Promise<void>(resolve => (wake = resolve))
    const onSignal = (signal: NodeJS.Signals) => {
        signals++
        if (signals > 1) {
            log.warn({ signal }, "second signal: exiting without a clean stop")
            process.exit(1)
        }
        log.info({ signal }, "stopping")
        wake()
    }
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
    try {
        await gateway.start()
        await stopped
        await gateway.stop()
        return 0
    } catch (e) {
        log.fatal({ err: (e as Error).message }, "gateway failed")
        await gateway.stop().catch(() => undefined)
        return 1
    } finally {
        process.off("SIGINT", onSignal)
        process.off("SIGTERM", onSignal)
    }
}

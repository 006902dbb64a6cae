/**
 * The gateway: wires the parts and runs them. Start order: state lock → queues from disk
 * → the gateway's own MQTT connection → device hub → ports → stats and HTTP. Stop order
 * (SIGTERM/SIGINT): ports closed (no new lines) → queues written → every device and then
 * the gateway publish `offline` themselves and send DISCONNECT → queues fsynced and
 * closed → lock released.
 */
import { gatewayTopic, STATUS_OFFLINE, STATUS_ONLINE } from "@fieldlink/protocol/fieldlink-topics"
import type { GatewayConfig } from "./config/types.js"
import { DeviceHub } from "./device/hub.js"
import { lockStateDir } from "./lock.js"
import { createGatewayMetrics, type GatewayMetrics } from "./obs/gateway-metrics.js"
import { startHealthServer, type HealthServer } from "./obs/http.js"
import { safeUrl } from "@fieldlink/lib/mqtt/safe-url"
import type { Logger } from "./obs/logger.js"
import { QueueStore } from "./queue/store.js"
import { PortFinder } from "./serial/discovery.js"
import { PortManager } from "./serial/manager.js"
import { nodeSerialTransport, type SerialTransport } from "./serial/transport.js"
import { gatewayStats } from "./stats.js"
import { MqttLink } from "./upstream/link.js"

export interface GatewayDeps {
    log: Logger
    transport?: SerialTransport
}

export class Gateway {
    private readonly metrics: GatewayMetrics
    private readonly store: QueueStore
    private readonly hub: DeviceHub
    private readonly ports: PortManager
    private readonly link: MqttLink
    /** performance.now(): the uptime in stats does not follow a wall clock that steps. */
    private readonly startedAt = performance.now()
    private releaseLock: (() => void) | undefined
    private statsTimer: NodeJS.Timeout | undefined
    private http: HealthServer | undefined
    private stopping: Promise<void> | undefined

    constructor(
        readonly config: GatewayConfig,
        private readonly deps: GatewayDeps,
    ) {
        const log = deps.log
        this.metrics = createGatewayMetrics()
        this.store = new QueueStore(config.stateDir, config.queue, log)
        this.hub = new DeviceHub({ config, log, metrics: this.metrics, store: this.store })
        this.ports = new PortManager({
            config,
            transport: deps.transport ?? nodeSerialTransport,
            finder: new PortFinder(log),
            hub: this.hub,
            log,
            metrics: this.metrics,
        })
        this.link = new MqttLink(
            {
                name: "gateway",
                clientId: `${config.broker.clientIdPrefix}gateway.${config.id}`,
                will: { topic: gatewayTopic(config.topicRoot, config.id, "status"), payload: STATUS_OFFLINE },
                broker: config.broker,
                log,
                metrics: this.metrics,
                duplicateHint: `two gateways with gateway id \`${config.id}\`? set \`gateway.id\` / \`--id\``,
            },
            {
                connected: () => {
                    this.link.publish(
                        gatewayTopic(config.topicRoot, config.id, "status"),
                        STATUS_ONLINE,
                        1,
                        true,
                    )
                    log.info({ broker: safeUrl(config.broker.url) }, "gateway online")
                },
                disconnected: () => undefined,
            },
        )
        const depth = (pick: (u: ReturnType<DeviceHub["all"]>[number]) => number) => () =>
            this.hub.all().map(u => ({ labels: { device: u.id }, value: pick(u) }))
        this.metrics.registry.collected(
            "fieldlink_gateway_queue_depth",
            "Messages waiting for the broker, per device.",
            depth(u => u.queue.depth),
        )
        this.metrics.registry.collected(
            "fieldlink_gateway_queue_bytes",
            "Bytes waiting for the broker, per device.",
            depth(u => u.queue.bytes),
        )
    }

    /** The port of the health endpoint (useful with port 0), once started. */
    get httpPort(): number | undefined {
        return this.http?.port
    }

    async start(): Promise<void> {
        const { config, deps } = this
        const log = deps.log
        this.releaseLock = lockStateDir(config.stateDir)
        try {
            const waiting = this.store.start()
            log.info(
                {
                    gateway: config.id,
                    broker: config.broker.urls.map(safeUrl).join(", "),
                    ports: config.ports.map(p => p.label),
                    stateDir: config.stateDir,
                },
                "gateway starting",
            )
            this.link.start()
            this.hub.start(waiting)
            await this.ports.start()
            if (config.statsIntervalS > 0)
                this.statsTimer = setInterval(() => this.publishStats(), config.statsIntervalS * 1000)
            if (config.http.enabled) {
                this.http = await startHealthServer(config.http.host, config.http.port, {
                    ready: () => this.link.connected,
                    summary: () => ({ gateway: config.id, ...this.stats() }),
                    metrics: () => this.metrics.registry.render(),
                }).catch((e: NodeJS.ErrnoException) => {
                    throw new Error(
                        `the health endpoint cannot listen on ${config.http.host}:${config.http.port} (${e.code ?? e.message}); choose another http.port (--http-port), or set http.enabled: false`,
                    )
                })
                log.info(
                    { url: `http://${config.http.host}:${this.http.port}/metrics` },
                    "health and metrics endpoint listening",
                )
            }
        } catch (e) {
            await this.stop()
            throw e
        }
    }

    stats() {
        return gatewayStats(this.startedAt, this.ports, this.hub, this.link)
    }

    /** Graceful stop; safe to call more than once. */
    stop(): Promise<void> {
        this.stopping ??= this.stopOnce()
        return this.stopping
    }

    private publishStats(): void {
        const c = this.config
        this.link.publish(gatewayTopic(c.topicRoot, c.id, "stats"), JSON.stringify(this.stats()), 0, false)
    }

    private async stopOnce(): Promise<void> {
        const log = this.deps.log
        const c = this.config
        clearInterval(this.statsTimer)
        await this.ports.stop()
        this.store.flush()
        await this.hub.shutdown()
        await this.link.stop({ topic: gatewayTopic(c.topicRoot, c.id, "status"), payload: STATUS_OFFLINE })
        this.store.close()
        await this.http?.close()
        this.releaseLock?.()
        log.info("gateway stopped")
    }
}

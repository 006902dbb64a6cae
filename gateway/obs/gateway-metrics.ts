/** Every metric the gateway exports, in one place (names follow Prometheus conventions). */
import { Registry, type Counter, type Gauge } from "./metrics.js"

export interface GatewayMetrics {
    registry: Registry
    portOpen: Gauge
    portOpens: Counter
    portOpenFailures: Counter
    lines: Counter
    bytesIn: Counter
    bytesOut: Counter
    errors: Counter
    txDropped: Counter
    deviceOnline: Gauge
    queueDropped: Counter
    queueBackpressure: Counter
    published: Counter
    commands: Counter
    upstreamConnected: Gauge
    upstreamConnects: Counter
    upstreamErrors: Counter
    upstreamTakeovers: Counter
}

export function createGatewayMetrics(): GatewayMetrics {
    const r = new Registry()
    const m: GatewayMetrics = {
        registry: r,
        portOpen: r.gauge("fieldlink_gateway_port_open", "1 while the serial port is open."),
        portOpens: r.counter("fieldlink_gateway_port_opens_total", "Times the port was opened."),
        portOpenFailures: r.counter(
            "fieldlink_gateway_port_open_failures_total",
            "Failed attempts to open the port.",
        ),
        lines: r.counter("fieldlink_gateway_port_lines_total", "Lines accepted from the port, by verb."),
        bytesIn: r.counter("fieldlink_gateway_port_received_bytes_total", "Bytes read from the port."),
        bytesOut: r.counter("fieldlink_gateway_port_sent_bytes_total", "Bytes written to the port."),
        errors: r.counter(
            "fieldlink_gateway_port_errors_total",
            "Lines refused, by reason (the err code sent back).",
        ),
        txDropped: r.counter(
            "fieldlink_gateway_port_tx_dropped_total",
            "Lines to the device dropped because it did not read its port.",
        ),
        deviceOnline: r.gauge(
            "fieldlink_gateway_device_online",
            "1 while the device is online (it spoke within 1.5 × live).",
        ),
        queueDropped: r.counter(
            "fieldlink_gateway_queue_dropped_total",
            "Messages dropped, oldest first, because the device's queue was full.",
        ),
        queueBackpressure: r.counter(
            "fieldlink_gateway_queue_backpressure_total",
            "Times the device's port stopped being read because its queue was half full while the broker was up (it sent faster than the broker took).",
        ),
        published: r.counter("fieldlink_gateway_published_total", "Device messages the broker acknowledged."),
        commands: r.counter(
            "fieldlink_gateway_commands_total",
            "Commands from the broker, by result (sent, refused, no-device, retained, cleared).",
        ),
        upstreamConnected: r.gauge(
            "fieldlink_gateway_upstream_connected",
            "1 while the MQTT connection is up (client = gateway or a device id).",
        ),
        upstreamConnects: r.counter(
            "fieldlink_gateway_upstream_connects_total",
            "Successful MQTT connections (CONNACK accepted).",
        ),
        upstreamErrors: r.counter(
            "fieldlink_gateway_upstream_errors_total",
            "MQTT connection failures, by reason.",
        ),
        upstreamTakeovers: r.counter(
            "fieldlink_gateway_upstream_takeovers_total",
            "Times another client seemed to use this connection's client id (repeated closes soon after CONNACK, or MQTT 5 reason 0x8E).",
        ),
    }
    r.collected("process_resident_memory_bytes", "Resident memory size in bytes.", () => [
        { labels: {}, value: process.memoryUsage.rss() },
    ])
    r.collected("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", () => {
        const u = process.cpuUsage()
        return [{ labels: {}, value: (u.user + u.system) / 1e6 }]
    })
    return m
}

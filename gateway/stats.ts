/**
 * The `gateways/<gw>/stats` message (DESIGN §1) and the health summary: counters per
 * port and per device, read from the live objects.
 */
import type { GatewayDeviceStats, GatewayPortStats, GatewayStatsPayload } from "@fieldlink/protocol/payloads"
import type { DeviceHub } from "./device/hub.js"
import type { PortManager } from "./serial/manager.js"

export interface UpstreamSummary {
    connected: boolean
    /** Times another client seemed to use the gateway's own client id. */
    takeovers: number
}

export function gatewayStats(
    /** performance.now() when the gateway started. */
    startedAt: number,
    ports: PortManager,
    hub: DeviceHub,
    upstream: UpstreamSummary,
): GatewayStatsPayload {
    const portStats: Record<string, GatewayPortStats> = {}
    const totals = {
        lines: 0,
        bytes_in: 0,
        bytes_out: 0,
        errors: 0,
        drops: 0,
        queued: 0,
        takeovers: upstream.takeovers,
    }
    for (const p of ports.portStates()) {
        const s = p.session?.stats
        portStats[p.path] = s
            ? {
                  open: true,
                  device: p.session!.deviceId ?? null,
                  lines: s.lines,
                  bytes_in: s.bytesIn,
                  bytes_out: s.bytesOut,
                  errors: s.errors,
                  tx_dropped: s.txDropped,
              }
            : { open: false }
        if (s) {
            totals.lines += s.lines
            totals.bytes_in += s.bytesIn
            totals.bytes_out += s.bytesOut
            totals.errors += Object.values(s.errors).reduce((a, b) => a + b, 0)
        }
    }
    const devices: Record<string, GatewayDeviceStats> = {}
    for (const u of hub.all()) {
        devices[u.id] = {
            online: u.isPresent,
            port: hub.holder(u.id) ?? null,
            connected: u.connected,
            queued: u.queue.depth,
            queued_bytes: u.queue.bytes,
            dropped: u.queue.dropped,
            takeovers: u.takeovers,
        }
        totals.drops += u.queue.dropped
        totals.takeovers += u.takeovers
        totals.queued += u.queue.depth
    }
    return {
        uptime_s: Math.round((performance.now() - startedAt) / 1000),
        upstream: upstream.connected ? "connected" : "disconnected",
        upstream_takeovers: upstream.takeovers,
        totals,
        ports: portStats,
        devices,
    }
}

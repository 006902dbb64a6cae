/**
 * The JSON payloads of the topic layout (DESIGN §1), typed once for firmware, gateway
 * and simulator. Types only: nothing here runs.
 */

/** `<root>/devices/<id>/info` (retained), as the firmware publishes it. */
export interface DeviceInfoPayload {
    id: string
    /** Firmware version. */
    fw: string
    board: string
    /** "wifi", "serial" or "sim". */
    transport: string
    interval_ms: number
    keepalive_s: number
}

/** A serial port in `<root>/gateways/<gw>/stats`. */
export interface GatewayPortStats {
    open: boolean
    device?: string | null
    lines?: number
    bytes_in?: number
    bytes_out?: number
    errors?: Record<string, number>
    tx_dropped?: number
}

/** A device in `<root>/gateways/<gw>/stats`. */
export interface GatewayDeviceStats {
    online: boolean
    port: string | null
    connected: boolean
    queued: number
    queued_bytes: number
    dropped: number
    /** Times another client seemed to take over this device's client id (a duplicate device id). */
    takeovers: number
}

/** `<root>/gateways/<gw>/stats`: the gateway's counters, every `statsIntervalS`. */
export interface GatewayStatsPayload {
    uptime_s: number
    upstream: "connected" | "disconnected"
    /** Times another client seemed to take over the gateway's own client id (a duplicate gateway id). */
    upstream_takeovers: number
    /** `takeovers`: the gateway's own and every device's, added up. */
    totals: {
        lines: number
        bytes_in: number
        bytes_out: number
        errors: number
        drops: number
        queued: number
        takeovers: number
    }
    ports: Record<string, GatewayPortStats>
    devices: Record<string, GatewayDeviceStats>
}

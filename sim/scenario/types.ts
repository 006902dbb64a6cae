/**
 * What a scenario file says, after validation and defaults (see schema.ts for the
 * reference text of every field, and docs/scenarios.md for examples).
 */
import type { Waveform } from "../waveforms.js"

export interface BoardGroup {
    /** One board with this id, or `count` boards `<idPrefix>-1` … `<idPrefix>-count`. */
    id?: string
    count?: number
    idPrefix?: string
    keepalive: number
    interval: number
    queueMax?: number
    temperature?: Waveform
    humidity?: Waveform
    /** Served only to a program that reads them (a ratio 0..1, lx, hPa). */
    soilMoisture?: Waveform
    illuminance?: Waveform
    airPressure?: Waveform
    lightLevel?: Waveform
}

/** Something done to a board on a schedule: a command sent to it, or its button pressed. */
export interface Input {
    /** How expectations refer to it (`after: <name>`); default `input-<n>`. */
    name: string
    /** Seconds from the start. */
    at: number
    /** Board id or glob. */
    device: string
    /** Publishes `payload` to `devices/<id>/cmd/<command>` (live, not retained). */
    command?: string
    payload: string
    /** Presses the board's button for `ms`. */
    press?: "button"
    ms: number
}

export interface SerialDevice {
    id: string
    /** `scripted`: a line-protocol script; `firmware`: the real firmware over its log UART. */
    kind: "scripted" | "firmware"
    /** scripted: samples per second. */
    rate: number
    /** firmware: sample period, ms. */
    interval: number
    baud: number
    live: number
    checksum: boolean
    temperature?: Waveform
}

export type FaultType =
    | "network-cut"
    | "network-blackhole"
    | "wifi-loss"
    | "network-delay"
    | "board-power-cut"
    | "broker-restart"
    | "serial-unplug"
    | "serial-silence"
    | "serial-garbage"
    | "serial-reset"
    | "gateway-kill"
    | "gateway-power-cut"

export interface Fault {
    /** How expectations refer to it: `after: <name>` is its start, `<name>.end` its end. */
    name: string
    type: FaultType
    /** Seconds from the start of the run. */
    at: number
    /** Seconds the fault lasts; network faults and power cuts end by themselves. */
    for: number
    /** Board id (or glob, e.g. `wifi-*`) the fault hits; not for broker faults. */
    target?: string
    /** network-delay: added latency each way, ms. */
    delayMs?: number
}

export type Expectation =
    | { type: "status"; device: string; becomes: "online" | "offline"; after: TimeRef; within: number }
    | { type: "stays"; device: string; status: "online" | "offline"; from: TimeRef; to: TimeRef }
    | { type: "telemetry"; device: string; atLeast: number; from: TimeRef; to: TimeRef }
    | { type: "no-telemetry-lost"; device: string; from: TimeRef; to: TimeRef }
    | {
          type: "reading"
          device: string
          field: string
          min?: number
          max?: number
          from: TimeRef
          to: TimeRef
      }
    | {
          type: "crosses"
          device: string
          field: string
          above?: number
          below?: number
          from: TimeRef
          to: TimeRef
      }
    | {
          type: "actuator"
          device: string
          actuator: "relay"
          state: "on" | "off"
          after: TimeRef
          within: number
      }
    | { type: "log"; device: string; contains: string; after: TimeRef; within: number }

/** Seconds from the start, or a fault name (its start) or `<name>.end`. */
export type TimeRef = number | string

export interface Scenario {
    name: string
    description?: string
    seed: number
    /** Seconds. */
    duration: number
    topicRoot: string
    boards: BoardGroup[]
    /** Devices on serial ports behind the real gateway. */
    serial: SerialDevice[]
    /** `keepalive`: MQTT keep-alive of the gateway's upstream connections, s. */
    gateway: { id: string; keepalive: number }
    faults: Fault[]
    inputs: Input[]
    expect: Expectation[]
}

/**
 * The serial transport (setting `transport` = `serial`): instead of MQTT over WiFi, the
 * board speaks the gateway's line protocol (DESIGN §4) on its log UART, where
 * DeviceScript mirrors `console.log` as `> ` lines — a prefix the gateway ignores. The
 * gateway gives the device its MQTT connection, will and birth; on the broker it looks
 * the same as a WiFi board, but for `transport` in `info`.
 *
 * Uplink only: DeviceScript offers no way to read the log UART, so `cmd` lines from the
 * gateway are not acted on. Diagnostic `fieldlink:` lines are not printed in this mode
 * (the gateway would count them as unknown verbs).
 */
import { FIRMWARE_VERSION } from "../version.js"

/** `hello` again every this many samples, so a restarted gateway learns the id quickly. */
const HELLO_EVERY = 10

export class SerialUplink {
    private sent = 0

    /**
     * @param liveSeconds the longest silence the gateway should allow before calling the
     *   device offline: a few sample intervals.
     */
    constructor(
        private deviceId: string,
        private board: string,
        private liveSeconds: number,
    ) {}

    hello(): void {
        console.log(
            "hello id=" +
                this.deviceId +
                " fw=" +
                FIRMWARE_VERSION +
                " board=" +
                this.board +
                " live=" +
                this.liveSeconds,
        )
    }

    /** One JSON sample line; the gateway publishes it to `devices/<id>/telemetry`. */
    send(json: string): void {
        if (this.sent % HELLO_EVERY === 0) this.hello()
        this.sent++
        console.log(json)
    }
}

/** Seconds of silence the gateway may allow: three sample intervals, at least 5 s. */
export function serialLiveSeconds(intervalMs: number): number {
    const s = Math.ceil((3 * intervalMs) / 1000)
    return s < 5 ? 5 : s
}

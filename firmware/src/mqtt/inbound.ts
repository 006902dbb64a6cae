/**
 * What the firmware makes of broker-side input it did not ask for, or cannot use: each
 * kind is logged once per minute (with how many were not logged), and none of them ends
 * the connection unless MQTT says it must. Anyone allowed to publish to a board's
 * topics must not be able to knock it off the air, nor flood its log.
 *
 * | input | what happens |
 * |---|---|
 * | PUBLISH over the maximum packet size | skipped by the parser, acknowledged at QoS 1 (so the broker does not resend it), logged |
 * | SUBACK 0x80 for a filter | logged with the filter: its commands will not arrive; the connection stays |
 * | PUBLISH to a topic no subscription matches | acknowledged at QoS 1, ignored, logged |
 * | more than COMMANDS_PER_S commands a second (burst COMMAND_BURST) | the excess is dropped, counted, logged |
 * | a well-formed packet out of place (PUBREC, UNSUBACK, a second CONNACK …) | ignored, logged |
 * | a packet type a server never sends, ill-formed UTF-8, any malformed packet | the connection is closed, as [MQTT-4.8.0-1] and [MQTT-1.5.3-1] require; logged; the reconnect backs off |
 */
import * as ds from "@devicescript/core"
import { MqttPacket, ParseError, packetTypeName, SUBACK_FAILURE } from "@fieldlink/protocol/mqtt"
import { LogLimiter, suppressedNote } from "../core/log-limit.js"
import { RateLimiter } from "../core/rate.js"

export const COMMANDS_PER_S = 10
export const COMMAND_BURST = 20
const REPORT_WINDOW_MS = 60000

export class InboundGuard {
    private limiter = new LogLimiter(REPORT_WINDOW_MS)
    private commands = new RateLimiter(COMMANDS_PER_S, COMMAND_BURST)
    private subscribeId = -1
    private subscribeFilters: string[] = []

    constructor(private log: (line: string) => void) {}

    /** Logs `text` unless a line of this `kind` went out within the minute. */
    report(kind: string, text: string): void {
        const missed = this.limiter.check(kind, ds.millis())
        if (missed >= 0) this.log("mqtt: " + text + suppressedNote(missed))
    }

    /** Remembers a SUBSCRIBE so its SUBACK can name a refused filter. */
    subscribed(packetId: number, filters: string[]): void {
        this.subscribeId = packetId
        this.subscribeFilters = filters
    }

    /** Reports an oversize PUBLISH the parser skipped. */
    oversize(p: MqttPacket, maxPacketSize: number): void {
        const topic = p.topic !== undefined ? p.topic : "(a topic over 256 bytes)"
        this.report(
            "oversize",
            "PUBLISH of " +
                p.oversize +
                " bytes to " +
                topic +
                " exceeds the maximum packet size of " +
                maxPacketSize +
                " bytes: skipped" +
                (p.qos > 0 ? ", acknowledged" : ""),
        )
    }

    /** Reports the filters a SUBACK refused (0x80, §3.9.3). */
    suback(p: MqttPacket): void {
        const granted = p.granted
        for (let i = 0; i < granted.length; i++) {
            if (granted[i] !== SUBACK_FAILURE) continue
            const filter =
                p.packetId === this.subscribeId && i < this.subscribeFilters.length
                    ? this.subscribeFilters[i]
                    : "filter " + (i + 1)
            this.report(
                "suback-refused",
                "the broker refused the subscription to " +
                    filter +
                    " (SUBACK 0x80): its commands will not arrive; check the broker's access rules for this client",
            )
        }
    }

    unsubscribed(topic: string): void {
        this.report(
            "not-subscribed",
            "PUBLISH to " + topic + ", which this board did not subscribe to: ignored",
        )
    }

    unexpected(p: MqttPacket): void {
        this.report(
            "unexpected-" + p.type,
            packetTypeName(p.type) + " was not expected from the broker now: ignored",
        )
    }

    /** True when a command may run now; false when over the rate (counted, reported). */
    allowCommand(topic: string): boolean {
        if (this.commands.allow(ds.millis())) return true
        this.report(
            "command-flood",
            "commands arrive faster than " +
                COMMANDS_PER_S +
                "/s: " +
                topic +
                " dropped, " +
                this.commands.dropped +
                " dropped since start",
        )
        return false
    }

    /** A malformed stream: MQTT requires the connection to close. */
    parseError(error: ParseError): void {
        const rule = error.code === "bad-utf8" ? "[MQTT-1.5.3-1]" : "[MQTT-4.8.0-1]"
        this.report(
            "parse-" + error.code,
            "bad packet from broker (" +
                error.code +
                "): " +
                error.message +
                "; closing the connection as " +
                rule +
                " requires",
        )
    }
}

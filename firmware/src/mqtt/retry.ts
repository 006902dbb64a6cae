/**
 * The client's side of the reconnect policy (protocol/reconnect.ts): it follows one connection
 * at a time — when it came online, whether we ended it — and turns how it ended into the
 * delay before the next attempt, saying once when the pattern looks like another client
 * using our client id.
 */
import * as ds from "@devicescript/core"
import { BackoffPolicy } from "@fieldlink/protocol/backoff"
import {
    ConnectionEnd,
    noteConnectionEnd,
    reconnectDelay,
    reconnectPolicy,
    ReconnectPolicy,
    reconnectStart,
    ReconnectState,
} from "@fieldlink/protocol/reconnect"

export class RetryTracker {
    private policy: ReconnectPolicy
    private state: ReconnectState = reconnectStart()
    /** ds.millis() at CONNACK of the current connection, or -1 before it. */
    private onlineAt = -1
    /** We ended the current connection (an error of ours), not the broker. */
    private ours = false

    constructor(
        backoff: BackoffPolicy,
        private clientId: string,
        private duplicateHint: string,
        private log: (line: string) => void,
    ) {
        this.policy = reconnectPolicy(backoff)
    }

    /** A new connection attempt begins. */
    connecting(): void {
        this.onlineAt = -1
        this.ours = false
    }

    /** CONNACK accepted. */
    online(): void {
        this.onlineAt = ds.millis()
    }

    /** We end this connection: a network or write error, a bad packet, keep-alive, a timeout. */
    endedByUs(): void {
        this.ours = true
    }

    /** The connection is gone: the delay before the next attempt, logged. */
    nextDelay(random: () => number): number {
        const online = this.onlineAt >= 0
        const end = !online
            ? ConnectionEnd.NEVER_ONLINE
            : this.ours
              ? ConnectionEnd.OURS
              : ConnectionEnd.BROKER_CLOSED
        const held = online ? ds.millis() - this.onlineAt : 0
        if (noteConnectionEnd(this.state, end, held, ds.millis(), this.policy)) {
            const cap = this.policy.backoff.capMs
            this.log(
                "mqtt: the broker closed the connection " +
                    this.state.brokerCloses +
                    " times in a row, no error on our side: another client is likely using the id " +
                    this.clientId +
                    " (" +
                    this.duplicateHint +
                    "); retrying every " +
                    cap / 2000 +
                    "-" +
                    cap / 1000 +
                    " s",
            )
        }
        const delay = reconnectDelay(this.state, this.policy, random)
        this.log("mqtt: reconnect in " + delay + " ms (attempt " + this.state.attempt + ")")
        return delay
    }
}

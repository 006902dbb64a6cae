/**
 * MQTT 3.1.1 keep-alive, client side (§3.1.2.10), as a pure timer model.
 *
 * - The client must send a control packet within every keep-alive period; with nothing
 *   else to send it sends PINGREQ [MQTT-3.1.2-23].
 * - It also pings when nothing was *received* for a period: a QoS 0 publisher writes all
 *   the time and would otherwise never learn that the link died (writes into a dead TCP
 *   connection succeed for minutes).
 * - At most one PINGREQ per period. If no PINGRESP (or any other packet) arrives within
 *   half a period, the connection is declared dead: the client closes it and reconnects.
 *   Half a period means a client whose PINGRESPs are swallowed reconnects within
 *   1.5 × keep-alive of the last packet it received — the same bound the broker applies
 *   to a silent client [MQTT-3.1.2-24].
 * - Keep-alive 0 disables all of it.
 *
 * Times are milliseconds on any monotonic clock the caller owns; nothing here reads one.
 */

export const enum KeepAliveAction {
    /** Nothing to do before `nextKeepAliveCheck`. */
    NONE = 0,
    /** Send PINGREQ now. */
    PING = 1,
    /** The PINGRESP deadline passed: close and reconnect. */
    TIMEOUT = 2,
}

export interface KeepAliveState {
    periodMs: number
    lastSentAt: number
    lastReceivedAt: number
    /** When the outstanding PINGREQ was sent; -1 when none is outstanding. */
    pingSentAt: number
}

/** Largest keep-alive MQTT can carry: a 16-bit number of seconds. */
export const MAX_KEEPALIVE_S = 65535

/** State right after CONNACK, with the keep-alive that went out in CONNECT. */
export function keepAliveStart(now: number, keepAliveSeconds: number): KeepAliveState {
    return { periodMs: keepAliveSeconds * 1000, lastSentAt: now, lastReceivedAt: now, pingSentAt: -1 }
}

/** How long a PINGREQ may go unanswered. */
export function pingDeadlineMs(state: KeepAliveState): number {
    return state.periodMs / 2
}

export function noteSent(state: KeepAliveState, now: number): void {
    state.lastSentAt = now
}

/** Any packet from the broker proves the link alive and answers an outstanding ping. */
export function noteReceived(state: KeepAliveState, now: number): void {
    state.lastReceivedAt = now
    state.pingSentAt = -1
}

export function notePingSent(state: KeepAliveState, now: number): void {
    state.lastSentAt = now
    state.pingSentAt = now
}

/** When `keepAliveAction` may next return something other than NONE; -1 when disabled. */
export function nextKeepAliveCheck(state: KeepAliveState): number {
    if (state.periodMs <= 0) return -1
    if (state.pingSentAt >= 0) return state.pingSentAt + pingDeadlineMs(state)
    const quietSince = state.lastSentAt < state.lastReceivedAt ? state.lastSentAt : state.lastReceivedAt
    return quietSince + state.periodMs
}

export function keepAliveAction(state: KeepAliveState, now: number): KeepAliveAction {
    const due = nextKeepAliveCheck(state)
    if (due < 0 || now < due) return KeepAliveAction.NONE
    return state.pingSentAt >= 0 ? KeepAliveAction.TIMEOUT : KeepAliveAction.PING
}

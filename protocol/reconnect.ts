/**
 * When to reconnect, across connections: the one policy of the firmware and the gateway
 * (gateway/upstream/link.ts uses it too).
 *
 * The wait before an attempt is drawn with full jitter under a ceiling that doubles with
 * each failed or short-lived connection (protocol/backoff.ts) and is never more than the
 * waits already drawn since the last connection that held (`base` at least). Connects that
 * fail at once ("network unreachable" while a router reboots) escalate the count quickly,
 * and a ceiling from the count alone could keep a board silent for a minute after a 10 s
 * cut, its offline queue overflowing meanwhile. When attempts fail at once the waits are
 * the time down, so the wait after a cut is at most about as long as the cut was; a fleet
 * that lost a broker together is still spread over a window as long as the broker was
 * away. The waits drawn, not a clock, bound it: a seed gives the same delays on every run
 * (the simulator's promise), and no clock step bends it.
 *
 * A connection the broker accepts and then drops within `holdMs` does not count as a
 * success: the backoff attempt keeps growing, so a broker that kicks us right after
 * CONNACK (a packet we choke on, a broker-side limit, a second client with our id) sees
 * reconnects spaced by the backoff, never a tight loop. Only a connection that held for
 * `holdMs` starts the count over.
 *
 * `takeoverAfter` closes by the broker within `takeoverWindowMs`, each clean (no parse
 * error, no write failure, no keep-alive timeout on our side), are the signature of a
 * takeover: another client connects with the same client id, the broker closes the older
 * connection [MQTT-3.1.4-2], and both fight for ever. Then the delay goes to the cap (drawn
 * from its upper half, so it is never short). The two sides of a fight do not see the same
 * thing: the first to reach the cap is closed soon after CONNACK every time, the other
 * holds until its twin comes back from the cap and takes the id again — so once a run has
 * begun with a close soon after CONNACK, later closes count within the window whatever
 * the hold, and the second side says so at the twin's first return. (A broker restarted
 * now and then closes connections that held: that never begins a run; and a connect that fails
 * between closes ends a run, since a broker that is down or restarting is not a twin's.) An MQTT 5 DISCONNECT with reason 0x8E (session taken over) is the broker saying
 * so outright: it counts at once. A connection that held past the cap and ended by our own
 * doing clears the suspicion.
 *
 * Pure and clock-free: the caller passes the time and how long the connection held.
 */
import { BackoffPolicy, backoffCeiling } from "./backoff.js"

export interface ReconnectPolicy {
    backoff: BackoffPolicy
    /** A connection that held this long (ms after CONNACK) resets the backoff. */
    holdMs: number
    /** Clean closes by the broker within `takeoverWindowMs` that mean "someone else has our id". */
    takeoverAfter: number
    takeoverWindowMs: number
}

export const DEFAULT_HOLD_MS = 10000
export const DEFAULT_TAKEOVER_AFTER = 3
export const DEFAULT_TAKEOVER_WINDOW_MS = 300000

export function reconnectPolicy(backoff: BackoffPolicy): ReconnectPolicy {
    return {
        backoff: backoff,
        holdMs: DEFAULT_HOLD_MS,
        takeoverAfter: DEFAULT_TAKEOVER_AFTER,
        takeoverWindowMs: DEFAULT_TAKEOVER_WINDOW_MS,
    }
}

/** How a connection ended. */
export const enum ConnectionEnd {
    /** It never reached CONNACK (refused, unreachable, timed out). */
    NEVER_ONLINE = 0,
    /** We ended it: a network error, a write failure, a packet we could not accept, keep-alive. */
    OURS = 1,
    /** The broker closed it cleanly, without saying why. */
    BROKER_CLOSED = 2,
    /** The broker said the session was taken over (MQTT 5 DISCONNECT 0x8E). */
    TAKEN_OVER = 3,
}

export interface ReconnectState {
    /** Failed or short-lived connections since the last one that held: the backoff exponent + 1. */
    attempt: number
    /** The waits drawn since then (ms): the time down, short of the attempts themselves. */
    waitedMs: number
    /** Clean closes by the broker in the current run. */
    brokerCloses: number
    /** When the current run of closes began (caller's clock, ms). */
    runStartedAt: number
    /** A duplicate client id is suspected: delays stay at the cap. */
    takeover: boolean
    /** Takeovers suspected since start (each a new episode). */
    takeovers: number
}

export function reconnectStart(): ReconnectState {
    return {
        attempt: 0,
        waitedMs: 0,
        brokerCloses: 0,
        runStartedAt: 0,
        takeover: false,
        takeovers: 0,
    }
}

/** How long a connection must hold to clear the state: longer than the cap while a takeover is suspected. */
export function holdNeededMs(state: ReconnectState, policy: ReconnectPolicy): number {
    const cap = policy.backoff.capMs
    return state.takeover && cap > policy.holdMs ? cap : policy.holdMs
}

/**
 * Records the end, at `now`, of a connection that held `heldMs` after CONNACK (ignored
 * for NEVER_ONLINE). Returns true when this end makes a takeover suspected anew: the
 * caller logs it once then.
 */
export function noteConnectionEnd(
    state: ReconnectState,
    end: ConnectionEnd,
    heldMs: number,
    now: number,
    policy: ReconnectPolicy,
): boolean {
    const held = end !== ConnectionEnd.NEVER_ONLINE && heldMs >= holdNeededMs(state, policy)
    state.attempt = held ? 1 : state.attempt + 1
    if (held) state.waitedMs = 0
    if (end === ConnectionEnd.OURS) {
        state.brokerCloses = 0
        if (held) state.takeover = false
        return false
    }
    if (end === ConnectionEnd.NEVER_ONLINE) {
        // Closed and then not reachable: a broker going down or restarting, not a twin
        // (the broker a twin fights on accepts every connect). It ends the run.
        state.brokerCloses = 0
        return false
    }
    if (state.brokerCloses === 0 || now - state.runStartedAt > policy.takeoverWindowMs) {
        // A run starts only with a close soon after CONNACK: a broker restarting now and
        // then closes connections that held, and is not a twin.
        state.brokerCloses = 0
        if (end === ConnectionEnd.BROKER_CLOSED && heldMs >= policy.holdMs) return false
        state.runStartedAt = now
    }
    state.brokerCloses++
    if (end === ConnectionEnd.TAKEN_OVER && state.brokerCloses < policy.takeoverAfter)
        state.brokerCloses = policy.takeoverAfter
    if (state.brokerCloses < policy.takeoverAfter) {
        if (held) state.takeover = false
        return false
    }
    if (state.takeover) return false
    state.takeover = true
    state.takeovers++
    return true
}

/**
 * Draws the delay before the next attempt (`random` in [0, 1)) and counts it as waited:
 * call it once per noted end.
 */
export function reconnectDelay(state: ReconnectState, policy: ReconnectPolicy, random: () => number): number {
    const cap = policy.backoff.capMs
    const delay = state.takeover
        ? Math.floor(cap / 2 + random() * (cap / 2))
        : Math.floor(random() * reconnectCeiling(state, policy))
    state.waitedMs += delay
    return delay
}

/** The upper bound of the next delay (for tests and logs). */
export function reconnectCeiling(state: ReconnectState, policy: ReconnectPolicy): number {
    if (state.takeover) return policy.backoff.capMs
    const byCount = backoffCeiling(state.attempt - 1, policy.backoff)
    const byWaits = state.waitedMs > policy.backoff.baseMs ? state.waitedMs : policy.backoff.baseMs
    return byCount < byWaits ? byCount : byWaits
}

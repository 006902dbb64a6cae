/**
 * The life of the firmware's broker connection as one state and one pure transition
 * function — never a handful of booleans, whose combinations are where reconnect bugs
 * live.
 *
 *   IDLE ─start→ CONNECTING ─socketOpen→ AWAITING_CONNACK ─connackAccepted→ ONLINE
 *                   ▲  │ linkLost              │ connackRefused / linkLost     │ linkLost
 *              retry│  ▼                       ▼                               ▼
 *                 BACKING_OFF ◀────────────────┴───────────────────────────────┘
 *   ONLINE ─stop→ STOPPING ─linkLost→ STOPPED;  any other state ─stop→ STOPPED
 */

export const enum ConnectionState {
    IDLE = 0,
    CONNECTING = 1,
    AWAITING_CONNACK = 2,
    ONLINE = 3,
    BACKING_OFF = 4,
    STOPPING = 5,
    STOPPED = 6,
}

export const enum ConnectionEvent {
    START = 0,
    SOCKET_OPEN = 1,
    CONNACK_ACCEPTED = 2,
    CONNACK_REFUSED = 3,
    /** Socket closed or failed, connect timed out, or keep-alive gave up. */
    LINK_LOST = 4,
    /** The backoff delay elapsed. */
    RETRY = 5,
    STOP = 6,
}

const STATE_NAMES = ["idle", "connecting", "awaiting-connack", "online", "backing-off", "stopping", "stopped"]

export function connectionStateName(state: ConnectionState): string {
    return STATE_NAMES[state]
}

/** The next state; events that mean nothing in a state leave it unchanged. */
export function nextConnectionState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
    if (state === ConnectionState.STOPPED) return state
    if (event === ConnectionEvent.STOP) {
        // Only a live session has anything to say on the way out (offline, DISCONNECT).
        return state === ConnectionState.ONLINE ? ConnectionState.STOPPING : ConnectionState.STOPPED
    }
    switch (state) {
        case ConnectionState.IDLE:
            return event === ConnectionEvent.START ? ConnectionState.CONNECTING : state
        case ConnectionState.CONNECTING:
            if (event === ConnectionEvent.SOCKET_OPEN) return ConnectionState.AWAITING_CONNACK
            return event === ConnectionEvent.LINK_LOST ? ConnectionState.BACKING_OFF : state
        case ConnectionState.AWAITING_CONNACK:
            if (event === ConnectionEvent.CONNACK_ACCEPTED) return ConnectionState.ONLINE
            if (event === ConnectionEvent.CONNACK_REFUSED || event === ConnectionEvent.LINK_LOST)
                return ConnectionState.BACKING_OFF
            return state
        case ConnectionState.ONLINE:
            return event === ConnectionEvent.LINK_LOST ? ConnectionState.BACKING_OFF : state
        case ConnectionState.BACKING_OFF:
            return event === ConnectionEvent.RETRY ? ConnectionState.CONNECTING : state
        case ConnectionState.STOPPING:
            return event === ConnectionEvent.LINK_LOST ? ConnectionState.STOPPED : state
    }
    return state
}

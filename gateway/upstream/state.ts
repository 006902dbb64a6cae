/**
 * An upstream connection's life as one state and a pure transition function, so the
 * reconnect rules can be read (and tested) in one place:
 *
 *   idle --start--> connecting --connack--> connected
 *   connecting/connected --closed--> waiting --retry--> connecting
 *   any --stop--> stopping --stopped--> stopped
 *
 * Events that make no sense in a state (a late "closed" after stop, say) leave it as is.
 */

export type LinkState = "idle" | "connecting" | "connected" | "waiting" | "stopping" | "stopped"
export type LinkEvent = "start" | "connack" | "closed" | "retry" | "stop" | "stopped"

export function nextLinkState(state: LinkState, event: LinkEvent): LinkState {
    if (state === "stopped") return state
    if (event === "stop") return state === "idle" ? "stopped" : "stopping"
    if (state === "stopping") return event === "stopped" ? "stopped" : state
    switch (event) {
        case "start":
            return state === "idle" ? "connecting" : state
        case "connack":
            return state === "connecting" ? "connected" : state
        case "closed":
            return state === "connecting" || state === "connected" ? "waiting" : state
        case "retry":
            return state === "waiting" ? "connecting" : state
        default:
            return state
    }
}

/**
 * serialport's Linux and macOS binding (bindings-cpp) waits for a port to be readable or
 * writable through a Poller of its own; this mends how it asks libuv (armEveryWait).
 * Duck-typed: no serialport import, so any package that opens ports can use it.
 */

/** bindings-cpp's Poller, as far as armEveryWait uses it. */
export interface WaitingPoller {
    poll(flags?: number): void
    listenerCount(event: string): number
}

export function isWaitingPoller(poller: unknown): poller is WaitingPoller {
    const p = poller as Partial<WaitingPoller>
    return typeof p.poll === "function" && typeof p.listenerCount === "function"
}

/**
 * bindings-cpp's poller events and flags (its EVENTS): libuv's UV_READABLE, UV_WRITABLE,
 * UV_DISCONNECT. A list made once: every read asks the poller, so no array is built per ask.
 */
const POLL_FLAGS: ReadonlyArray<readonly [event: string, flag: number]> = [
    ["readable", 1],
    ["writable", 2],
    ["disconnect", 4],
]

/**
 * Makes each request of `poller` ask for every event still waited for, not only its own.
 *
 * bindings-cpp's Poller hands libuv the events of the latest request alone, and
 * uv_poll_start replaces the set it watches. So a read that waits for `readable` while a
 * write waits for room (`writable`: a device that stopped reading, the output buffer
 * full) silently cancels the write's wait, and a write's wait cancels a pending read's.
 * Seen on a pseudo-terminal: while a write waited, not one byte the device sent was read;
 * once the device read again, the write never finished, so every later answer and
 * command for that device stayed queued until the port closed. Listeners are counted
 * before the new one is added, so the request's own flag is kept as given.
 */
export function armEveryWait(poller: WaitingPoller): void {
    const poll = poller.poll.bind(poller)
    poller.poll = (flags = 0) => {
        let all = flags
        for (let i = 0; i < POLL_FLAGS.length; i++)
            if (poller.listenerCount(POLL_FLAGS[i][0]) > 0) all |= POLL_FLAGS[i][1]
        poll(all)
    }
}

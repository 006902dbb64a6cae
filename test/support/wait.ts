// Waiting with deadlines: every wait in a test names what it waits for and ends in a
// readable error, never in a hang or a bare "timeout".
import net from "node:net"
import { inspect } from "node:util"

export interface WaitForOptions {
    /** What is awaited, as a phrase: "the client to reconnect". Used in the error. */
    what: string
    /** Give up after this long. Default 5000 ms. */
    timeoutMs?: number
    /** Poll this often. Default 25 ms. */
    intervalMs?: number
}

/** Renders a value for an error message, short enough to read. */
export function describe(value: unknown): string {
    if (value instanceof Error) return `${value.name}: ${value.message}`
    return inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 500 })
}

/**
 * Polls `fn` until it returns a truthy value and resolves with that value. A throw from
 * `fn` counts as "not yet". On the deadline it rejects with an error that names `what`
 * and the last value (or error) observed.
 */
export async function waitFor<T>(
    fn: () => T | Promise<T>,
    { what, timeoutMs = 5000, intervalMs = 25 }: WaitForOptions,
): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs
    let last: unknown = "(never evaluated)"
    for (;;) {
        try {
            const value = await fn()
            if (value) return value as NonNullable<T>
            last = value
        } catch (err) {
            last = err
        }
        if (Date.now() >= deadline) {
            throw new Error(
                `Timed out after ${timeoutMs} ms waiting for ${what}; last observed: ${describe(last)}`,
            )
        }
        await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())))
    }
}

/** Anything with on/off, such as a Node EventEmitter, a socket or an mqtt.js client. */
export interface Emitter {
    on(event: string, listener: (...args: unknown[]) => void): unknown
    off(event: string, listener: (...args: unknown[]) => void): unknown
}

/**
 * Resolves with the arguments of the next `event` on `emitter`. Rejects if the emitter
 * emits "error" first (unless `event` is "error"), or after `timeoutMs`.
 */
export function once(emitter: Emitter, event: string, timeoutMs = 5000): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            done()
            reject(new Error(`Timed out after ${timeoutMs} ms waiting for event "${event}"`))
        }, timeoutMs)
        const onEvent = (...args: unknown[]) => {
            done()
            resolve(args)
        }
        const onError = (err: unknown) => {
            done()
            reject(err instanceof Error ? err : new Error(describe(err)))
        }
        function done() {
            clearTimeout(timer)
            emitter.off(event, onEvent)
            if (event !== "error") emitter.off("error", onError)
        }
        emitter.on(event, onEvent)
        if (event !== "error") emitter.on("error", onError)
    })
}

/** Rejects with an error naming `what` if `promise` does not settle within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
            timeoutMs,
        )
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A TCP port that was free on `host` a moment ago (the kernel picks it for a port-0 bind,
 * then the socket is closed). Another process may take it before you bind it: callers
 * that start a server on it retry with a fresh port on "address in use".
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer()
        server.unref()
        server.once("error", reject)
        server.listen({ port: 0, host, exclusive: true }, () => {
            const address = server.address()
            if (address === null || typeof address === "string") {
                server.close()
                reject(
                    new Error(
                        `Expected a TCP address from a port-0 bind on ${host}, got ${describe(address)}`,
                    ),
                )
                return
            }
            server.close(() => resolve(address.port))
        })
    })
}

export function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms))
}

/**
 * Logging without flooding: a device spewing garbage must not fill the disk with log
 * lines. Per key (port + reason) the first event is logged at once; after that at most
 * one line per window, carrying how many were suppressed in between. Pure: the clock
 * is passed in.
 */

export interface ThrottleVerdict {
    /** Log this one now. */
    log: boolean
    /** Events of this key not logged since the last logged one. */
    suppressed: number
}

export class LogThrottle {
    private readonly keys = new Map<string, { lastAt: number; suppressed: number }>()

    constructor(
        private readonly windowMs = 10_000,
        private readonly now: () => number = Date.now,
    ) {}

    check(key: string): ThrottleVerdict {
        const t = this.now()
        const entry = this.keys.get(key)
        if (entry === undefined || t - entry.lastAt >= this.windowMs) {
            const suppressed = entry?.suppressed ?? 0
            this.keys.set(key, { lastAt: t, suppressed: 0 })
            return { log: true, suppressed }
        }
        entry.suppressed++
        return { log: false, suppressed: entry.suppressed }
    }

    /** Forgets keys that start with `prefix` (a port closed for good). */
    forget(prefix: string): void {
        for (const key of this.keys.keys()) if (key.startsWith(prefix)) this.keys.delete(key)
    }
}

/**
 * Once per kind per window: the first event of a kind is logged, repeats within the window
 * are only counted, and the next one logged after the window says how many were not. A
 * broker (or anyone who may publish to a board's topics) can then not flood the log UART,
 * while a person still learns that something keeps happening and how often.
 *
 * Pure: the caller passes the time. Kinds are few, so a list beats a map here (and stays
 * inside the DeviceScript subset).
 */

export class LogLimiter {
    private kinds: string[] = []
    private lastAt: number[] = []
    private suppressed: number[] = []

    constructor(private windowMs: number) {}

    /**
     * -1 when this event of `kind` must not be logged (it is counted), else the number of
     * events of that kind left unlogged since the last logged one.
     */
    check(kind: string, now: number): number {
        let k = this.kinds.indexOf(kind)
        if (k < 0) {
            this.kinds.push(kind)
            this.lastAt.push(now)
            this.suppressed.push(0)
            return 0
        }
        if (now - this.lastAt[k] < this.windowMs) {
            this.suppressed[k]++
            return -1
        }
        const missed = this.suppressed[k]
        this.lastAt[k] = now
        this.suppressed[k] = 0
        return missed
    }
}

/** " (N more since the last report)" for a count from LogLimiter.check, or "". */
export function suppressedNote(missed: number): string {
    return missed > 0 ? " (" + missed + " more since the last report)" : ""
}

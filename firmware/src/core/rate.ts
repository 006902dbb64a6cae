/**
 * A token bucket: at most `burst` events at once and `perSecond` on average after that.
 * The firmware runs every command it receives through one, so a flood of small commands
 * (a script in a loop, a retained command on a wildcard) cannot keep the board from
 * sampling and publishing. Dropped events are counted.
 *
 * Pure: the caller passes the time in ms.
 */

export class RateLimiter {
    private tokens: number
    private at = -1
    /** Events refused since start. */
    dropped = 0

    constructor(
        private perSecond: number,
        private burst: number,
    ) {
        this.tokens = burst
    }

    /** True when the event may go ahead; false (and counted) when over the rate. */
    allow(now: number): boolean {
        if (this.at >= 0 && now > this.at) {
            const refill = ((now - this.at) * this.perSecond) / 1000
            this.tokens = this.tokens + refill > this.burst ? this.burst : this.tokens + refill
        }
        this.at = now
        if (this.tokens >= 1) {
            this.tokens -= 1
            return true
        }
        this.dropped++
        return false
    }
}

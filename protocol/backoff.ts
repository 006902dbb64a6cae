/**
 * Reconnect delays: exponential backoff with a cap. The delay is drawn with full jitter
 * under this ceiling (protocol/reconnect.ts, which also bounds it by the waits before it).
 *
 * Full jitter (delay drawn uniformly from [0, min(cap, base·2^attempt)]) spreads a fleet
 * that lost its broker at the same instant, so a restarted broker is not stampeded by
 * every board reconnecting on the same tick.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 *
 * Pure.
 */

export interface BackoffPolicy {
    /** Upper bound of the first delay, in ms. */
    baseMs: number
    /** No delay is ever longer than this, in ms. */
    capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 60000 }

/** The ceiling of the jitter window for a 0-based `attempt`. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
    // 2^attempt overflows to Infinity past ~1024; clamp the exponent long before.
    const exponent = attempt < 0 ? 0 : attempt > 30 ? 30 : attempt
    const ceiling = policy.baseMs * Math.pow(2, exponent)
    return ceiling < policy.capMs ? ceiling : policy.capMs
}

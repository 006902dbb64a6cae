/** The two summaries the benches and the line counter print: pure, no I/O. */

/** Nearest-rank percentile of values sorted ascending; NaN for none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
    if (sorted.length === 0) return NaN
    const rank = Math.ceil((p / 100) * sorted.length)
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** Median of the finite values (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
    if (sorted.length === 0) return NaN
    const mid = sorted.length >> 1
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

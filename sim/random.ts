/**
 * A small seeded PRNG (mulberry32) so that simulated sensor values and jitter repeat
 * exactly for a given seed: a failing simulator run can be replayed.
 */
export type Random = () => number

export function seededRandom(seed: number): Random {
    let a = seed >>> 0
    return () => {
        a = (a + 0x6d2b79f5) >>> 0
        let t = a
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
}

/** A stable 32-bit seed derived from a text (e.g. seed + device id), FNV-1a. */
export function seedFrom(text: string): number {
    let h = 0x811c9dc5
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i)
        h = Math.imul(h, 0x01000193)
    }
    return h >>> 0
}

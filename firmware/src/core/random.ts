/**
 * The firmware's own random source for reconnect jitter.
 *
 * DeviceScript's Math.random is not good enough for jitter: in the VM every board draws
 * the same sequence (measured: three simulated boards picked identical reconnect delays
 * 0, 203, 817, 1430, 2087 ms), which is exactly the lockstep stampede jitter exists to
 * prevent. So each board seeds a small generator (xorshift32) from hardware entropy and
 * its device id; the simulator may pin the seed (`rand_seed`) to replay a run.
 *
 * DeviceScript converts a number outside the int32 range to int32 by clamping, not by
 * wrapping as JavaScript does (measured: every seed of 2^31 or more gave the same
 * sequence). So state stays a signed int32 between bit operations, and unsigned values
 * are folded into int32 range by `toInt32` before any `^`, `<<` or `|`.
 */

/** The int32 with the same 32 bits as `u` (0 ≤ u < 2^32), without relying on wrap-around. */
export function toInt32(u: number): number {
    return u >= 2147483648 ? u - 4294967296 : u
}

/** Mixes a text (the device id) into a 32-bit seed, FNV-1a style. Never returns 0. */
export function mixSeed(seed: number, text: string): number {
    let h = toInt32(seed) ^ toInt32(0x811c9dc5)
    for (let i = 0; i < text.length; i++) {
        h = h ^ (text.charCodeAt(i) & 0xff)
        h = Math.imul(h, 0x01000193)
    }
    return h === 0 ? 0x1e3779b9 : h
}

/** xorshift32 (Marsaglia 2003): numbers in [0, 1), like Math.random. */
export function xorshift32(seed: number): () => number {
    let x = toInt32(seed >= 0 ? seed : seed + 4294967296) | 0
    if (x === 0) x = 0x1e3779b9
    return () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        // `x >>> 0` is the unsigned view (up to 2^32, a plain double); no bit op follows it.
        return (x >>> 0) / 4294967296
    }
}

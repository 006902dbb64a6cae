/**
 * Seeds for the simulator: everything random in a run (sensor waveforms, each board's
 * reconnect jitter) derives from the scenario's seed through here, so a run can be
 * replayed.
 */

/** A stable 32-bit number derived from a text (e.g. `<seed>/<device id>`), FNV-1a. */
export function seedFrom(text: string): number {
    let h = 0x811c9dc5
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i)
        h = Math.imul(h, 0x01000193)
    }
    return h >>> 0
}

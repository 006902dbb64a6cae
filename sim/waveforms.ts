/**
 * Simulated sensor values over time. Every waveform is a pure function of (seed, time):
 * the value at 12.3 s is the same in every run with the same seed, however often or
 * when the firmware happens to read it. Random waveforms draw one number per time step
 * from a hash of (seed, step), never from a generator advanced per read.
 */
import { seedFrom } from "./random.js"
import { type SeriesPoint, seriesValue } from "./series.js"

export type Waveform =
    | { type: "constant"; value: number }
    | { type: "sine"; mean: number; amplitude: number; periodS: number }
    /** Moves by up to ±step once a second, kept within [min, max]. */
    | { type: "randomWalk"; start: number; step: number; min: number; max: number }
    | { type: "steps"; values: number[]; everyS: number }
    /** A new uniform draw in mean ± amplitude every 100 ms. */
    | { type: "noise"; mean: number; amplitude: number }
    /** A recorded series: `file` (CSV, read when the scenario loads) gives `points`, [s, value]. */
    | { type: "series"; file?: string; points?: SeriesPoint[]; loop?: boolean }

/** Value at `elapsedS` seconds since the start. */
export type SignalSource = (elapsedS: number) => number

/** A number in [0, 1) that depends only on (seed, step). */
export function hashUnit(seed: number, step: number): number {
    return seedFrom(`${seed}:${step}`) / 4294967296
}

export function signal(waveform: Waveform, seed: number): SignalSource {
    switch (waveform.type) {
        case "constant":
            return () => waveform.value
        case "sine":
            return t => waveform.mean + waveform.amplitude * Math.sin((2 * Math.PI * t) / waveform.periodS)
        case "noise":
            return t => waveform.mean + waveform.amplitude * (2 * hashUnit(seed, Math.floor(t * 10)) - 1)
        case "series": {
            const points = waveform.points ?? []
            if (points.length === 0)
                throw new RangeError(
                    `series waveform${waveform.file ? ` ${waveform.file}` : ""} has no points`,
                )
            return t => seriesValue(points, t, waveform.loop === true)
        }
        case "steps":
            return t => waveform.values[Math.floor(Math.max(0, t) / waveform.everyS) % waveform.values.length]
        case "randomWalk": {
            // Walked forward once a second and cached: reading is O(1) as time moves on.
            let second = 0
            let value = waveform.start
            return t => {
                const target = Math.floor(Math.max(0, t))
                if (target < second) {
                    second = 0
                    value = waveform.start
                }
                for (; second < target; second++) {
                    value += waveform.step * (2 * hashUnit(seed, second) - 1)
                    value = Math.min(waveform.max, Math.max(waveform.min, value))
                }
                return value
            }
        }
    }
}

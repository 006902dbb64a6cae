/**
 * Simulated sensor values over time. Each waveform is a pure function of elapsed time
 * (and, for the random ones, of a seeded generator advanced once per read), so runs with
 * the same seed produce the same values.
 */
import { type Random, seededRandom } from "./random"

export type Waveform =
    | { type: "constant"; value: number }
    | { type: "sine"; mean: number; amplitude: number; periodS: number }
    | { type: "randomWalk"; start: number; step: number; min: number; max: number }
    | { type: "steps"; values: number[]; everyS: number }
    | { type: "noise"; mean: number; amplitude: number }

/** A reader of the waveform: call with seconds since the start, get the value. */
export type SignalSource = (elapsedS: number) => number

export function signal(waveform: Waveform, seed: number): SignalSource {
    const random: Random = seededRandom(seed)
    switch (waveform.type) {
        case "constant":
            return () => waveform.value
        case "sine":
            return (t) => waveform.mean + waveform.amplitude * Math.sin((2 * Math.PI * t) / waveform.periodS)
        case "noise":
            return () => waveform.mean + waveform.amplitude * (2 * random() - 1)
        case "steps":
            return (t) => waveform.values[Math.floor(t / waveform.everyS) % waveform.values.length]
        case "randomWalk": {
            let value = waveform.start
            return () => {
                value += waveform.step * (2 * random() - 1)
                value = Math.min(waveform.max, Math.max(waveform.min, value))
                return value
            }
        }
    }
}

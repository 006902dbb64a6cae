import test from "ava"
import { signal, type Waveform } from "../../sim/waveforms.js"

const kinds: Waveform[] = [
    { type: "constant", value: 5 },
    { type: "sine", mean: 20, amplitude: 2, periodS: 60 },
    { type: "randomWalk", start: 50, step: 1, min: 40, max: 60 },
    { type: "steps", values: [1, 2, 3], everyS: 10 },
    { type: "noise", mean: 0, amplitude: 1 },
]
const times = [0, 0.05, 1.5, 7.25, 15, 29.9, 61, 3600]

test("every waveform is a function of (seed, time): same seed, same values, whatever the read pattern", t => {
    for (const w of kinds) {
        const a = signal(w, 42)
        const b = signal(w, 42)
        // b is read far more often and out of order first: values must not depend on it.
        for (let x = 0; x < 100; x += 0.37) b(x)
        b(5000)
        t.deepEqual(times.map(a), times.map(b), w.type)
    }
})

test("a different seed gives different random waveforms", t => {
    for (const w of kinds.filter(k => k.type === "randomWalk" || k.type === "noise"))
        t.notDeepEqual(times.map(signal(w, 1)), times.map(signal(w, 2)), w.type)
})

test("waveform shapes: sine peaks at a quarter period, steps cycle, the walk stays in bounds, noise within its amplitude", t => {
    t.is(signal(kinds[1], 0)(15), 22)
    t.deepEqual([0, 10, 20, 30].map(signal(kinds[3], 0)), [1, 2, 3, 1])
    const walk = signal(kinds[2], 9)
    for (let s = 0; s < 2000; s += 7) {
        const v = walk(s)
        t.true(v >= 40 && v <= 60)
    }
    const noise = signal(kinds[4], 3)
    for (let s = 0; s < 100; s += 0.1) t.true(Math.abs(noise(s)) <= 1)
})

import * as ds from "@devicescript/core"
const t0 = ds.millis()
let keep: number[][] = []
for (let i = 0; i < 3000; i++) {
    keep.push([i, i + 1, i + 2])
    if (keep.length > 50) keep = []
}
console.log(`gc-loop ms=${ds.millis() - t0}`)

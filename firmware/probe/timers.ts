// Probe for test/vm/timing.test.ts: sleeps of several lengths, each printed with how
// long it took by the VM's own clock, measured once the
// boards started with it are up.
import * as ds from "@devicescript/core"

// Boards that start beside this one keep the host busy for a while: measure after.
await ds.sleep(2500)
const delays = [3, 25, 250, 1000]
for (let round = 0; round < 2; round++) {
    for (const ms of delays) {
        const start = ds.millis()
        await ds.sleep(ms)
        console.log(`slept ${ms} took ${ds.millis() - start}`)
    }
}

/**
 * Bench "firmware": fieldlink's own MQTT client against `@devicescript/net`'s MQTTClient,
 * both running in the DeviceScript VM. Prints, from one run: wire bytes per telemetry
 * sample and per idle hour beside the MQTT floor, bytecode size of both clients, and the
 * heap left while the firmware runs with a full offline queue.
 *
 * Every figure comes from this run; ratios compare figures of this run (or a stated
 * reference). The two idle runs wait for two 60 s keep-alive periods, so a run takes
 * about two and a half minutes.
 */
import { buildFirmware } from "@fieldlink/devs-host/firmware"
import { startBenchBroker } from "./broker.js"
import { bytecodeSection } from "./bytecode-bench.js"
import { devsBuild } from "./devs-build.js"
import { heapBench } from "./heap-bench.js"
import { renderSection, type Section } from "./table.js"
import { wireBench } from "./wire-bench.js"

export const title = "firmware MQTT client: ours vs @devicescript/net MQTTClient"

export interface BenchContext {
    signal: AbortSignal
}

export async function run({ signal }: BenchContext): Promise<void> {
    console.log("building the bench programs (firmware/bench) with devs build --stats ...")
    // One at a time: the compiler writes each build to the same place in the project.
    const none = await devsBuild("size-none.ts")
    const ours = await devsBuild("size-ours.ts")
    const library = await devsBuild("size-library.ts")
    const firmwareStats = await devsBuild("../src/main.ts")
    const libraryClient = await devsBuild("library-client.ts")
    const heapEmpty = await devsBuild("heap-empty.ts")
    const heapFirmware = await devsBuild("heap-firmware.ts")
    const firmware = await buildFirmware()
    signal.throwIfAborted()
    console.log("")
    const sizes = {
        none,
        ours,
        library,
        firmware: firmwareStats,
        flashedFirmwareBytes: firmware.bytecode.length,
    }
    console.log(renderSection(bytecodeSection(sizes)))
    console.log("")

    const broker = await startBenchBroker()
    if (broker.fallbackReason) {
        console.log(
            `mosquitto not found or not startable (${broker.fallbackReason}): using the embedded broker`,
        )
    }
    console.log(`broker: ${broker.name} on port ${broker.port}; 11 VMs run at once, about 2.5 minutes ...`)
    let sections: Section[] = []
    const errors: unknown[] = []
    try {
        const [wire, heap] = await Promise.allSettled([
            wireBench({
                firmware: firmware.bytecode,
                library: libraryClient.bytecode,
                brokerUrl: new URL(broker.url),
                signal,
            }),
            heapBench({ empty: heapEmpty.bytecode, firmware: heapFirmware.bytecode }, signal),
        ])
        if (wire.status === "fulfilled") sections = sections.concat(wire.value)
        else errors.push(wire.reason)
        if (heap.status === "fulfilled") sections.push(heap.value)
        else errors.push(heap.reason)
    } finally {
        await broker.stop()
    }
    // Interrupted: the runs stopped early, so their figures would mislead.
    signal.throwIfAborted()
    for (const section of sections) console.log(`\n${renderSection(section)}`)
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) {
        const messages = errors.map(e => (e as Error).message).join("; ")
        throw new AggregateError(errors, `${errors.length} parts of the firmware bench failed: ${messages}`)
    }
}

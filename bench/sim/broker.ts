/**
 * The broker the boards publish to: a private Debian mosquitto on a free port when one
 * can be started (its own process, so its CPU can be told apart), else the embedded
 * aedes broker in the bench process. The output names which, and why.
 */
import { startEmbeddedBroker } from "@fieldlink/sim/broker/embedded"
import { startMosquitto } from "@fieldlink/test-support/mosquitto"

export interface SimBenchBroker {
    /** e.g. "mosquitto version 2.0.11" or "embedded aedes broker (in the bench process)". */
    readonly name: string
    readonly url: string
    /** The broker's own process, when it has one. */
    readonly pid: () => number | undefined
    /** Why mosquitto was not used; undefined when it was. */
    readonly fallbackReason: string | undefined
    stop(): Promise<void>
}

export async function startSimBenchBroker(options: { embedded: boolean }): Promise<SimBenchBroker> {
    let reason = "asked for with --embedded"
    if (!options.embedded) {
        try {
            const broker = await startMosquitto()
            const version = broker
                .logLines()
                .map(line => /mosquitto version \S+/.exec(line)?.[0])
                .find(Boolean)
            return {
                name: version ?? "mosquitto",
                url: broker.url,
                pid: () => broker.pid,
                fallbackReason: undefined,
                stop: () => broker.stop(),
            }
        } catch (error) {
            reason = (error as Error).message.split("\n")[0]
        }
    }
    const embedded = await startEmbeddedBroker()
    return {
        name: "embedded aedes broker (in the bench process)",
        url: embedded.url,
        pid: () => undefined,
        fallbackReason: reason,
        stop: () => embedded.close(),
    }
}

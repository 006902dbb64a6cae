/**
 * The broker the bench measures against: a private Debian mosquitto when it can be
 * started, else the embedded aedes broker (and the output says so, with the reason).
 */
import { startEmbeddedBroker } from "@fieldlink/sim/broker/embedded"
import { startMosquitto } from "@fieldlink/test-support/mosquitto"

export interface BenchBroker {
    /** e.g. "mosquitto version 2.0.11" or "embedded aedes broker". */
    readonly name: string
    readonly port: number
    readonly url: string
    /** Why mosquitto was not used; undefined when it was. */
    readonly fallbackReason: string | undefined
    stop(): Promise<void>
}

export async function startBenchBroker(): Promise<BenchBroker> {
    let reason: string
    try {
        const broker = await startMosquitto()
        const version = broker
            .logLines()
            .map(line => /mosquitto version \S+/.exec(line)?.[0])
            .find(Boolean)
        return {
            name: version ?? "mosquitto",
            port: broker.port,
            url: broker.url,
            fallbackReason: undefined,
            stop: () => broker.stop(),
        }
    } catch (error) {
        // On CI a missing mosquitto is an error for the tests; the bench still runs.
        reason = (error as Error).message.split("\n")[0]
    }
    const embedded = await startEmbeddedBroker()
    return {
        name: "embedded aedes broker",
        port: embedded.port,
        url: embedded.url,
        fallbackReason: reason,
        stop: () => embedded.close(),
    }
}

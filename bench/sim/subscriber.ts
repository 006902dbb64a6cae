/**
 * The witness: one mqtt.js subscriber on every board's telemetry, recording when each
 * sample arrived and its `seq`. It runs in the bench process, not beside the boards, so
 * its work is not counted as theirs.
 */
import mqtt, { type MqttClient } from "mqtt"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"

/** One received sample: arrival (performance.now(), ms) and the firmware's `seq`. */
export interface Arrival {
    at: number
    seq: number
}

export interface TelemetrySubscriber {
    /** Every sample received so far, per device id, in arrival order. */
    readonly arrivals: ReadonlyMap<string, readonly Arrival[]>
    /** Samples whose payload carried no readable `seq`. */
    readonly unreadable: number
    close(): Promise<void>
}

const SEQ = /"seq":(\d+)/

export async function subscribeTelemetry(brokerUrl: string, topicRoot: string): Promise<TelemetrySubscriber> {
    const arrivals = new Map<string, Arrival[]>()
    let unreadable = 0
    // deviceTopic(root, "", "") is "<root>/devices//": the id starts before its last "/".
    const idStart = deviceTopic(topicRoot, "", "").length - 1
    const client: MqttClient = await mqtt.connectAsync(brokerUrl, {
        clientId: `fieldlink-bench-sim-${process.pid}`,
        reconnectPeriod: 0,
        connectTimeout: 5000,
    })
    client.on("message", (topic, payload) => {
        const at = performance.now()
        const deviceId = topic.slice(idStart, topic.lastIndexOf("/"))
        const seq = SEQ.exec(payload.toString())?.[1]
        if (seq === undefined) {
            unreadable++
            return
        }
        let list = arrivals.get(deviceId)
        if (!list) arrivals.set(deviceId, (list = []))
        list.push({ at, seq: Number(seq) })
    })
    await client.subscribeAsync(deviceTopic(topicRoot, "+", "telemetry"), { qos: 0 })
    return {
        arrivals,
        get unreadable() {
            return unreadable
        },
        close: () => client.endAsync(),
    }
}

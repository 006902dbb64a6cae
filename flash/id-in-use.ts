/**
 * Before a board is given an id: is a device with that id already `online` on the
 * broker? Two boards with one id take each other's MQTT connection over and flap for
 * ever, so `fieldlink flash --device-id ID` says so first. A quick read of the retained
 * status with a short deadline; a broker that cannot be reached (or says nothing in
 * time) is not an error here — the birth watch reports an unreachable broker on its own.
 */
import mqtt from "mqtt"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"

export interface IdCheckOptions {
    broker: URL
    topicRoot: string
    deviceId: string
    /** The whole check, connect included. */
    deadlineMs?: number
}

/** The retained status of `deviceId` ("online", "offline", …), or undefined when none arrived in time. */
export async function retainedStatus(o: IdCheckOptions): Promise<string | undefined> {
    const deadlineMs = o.deadlineMs ?? 2000
    const topic = deviceTopic(o.topicRoot, o.deviceId, "status")
    const client = mqtt.connect(o.broker.toString(), {
        clientId: `fieldlink-flash-check-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
        connectTimeout: deadlineMs,
        reconnectPeriod: 0,
        protocolVersion: 4,
    })
    try {
        return await new Promise<string | undefined>(resolve => {
            const timer = setTimeout(() => resolve(undefined), deadlineMs)
            const done = (value: string | undefined) => {
                clearTimeout(timer)
                resolve(value)
            }
            client.on("error", () => done(undefined))
            client.on("close", () => done(undefined))
            client.on("message", (t, payload, packet) => {
                if (t === topic && packet.retain) done(payload.toString())
            })
            client.on("connect", () => client.subscribe(topic, { qos: 0 }))
        })
    } finally {
        client.end(true)
    }
}

/** The warning for an id already online, or undefined. */
export function idInUseWarning(
    deviceId: string,
    topicRoot: string,
    status: string | undefined,
): string | undefined {
    if (status !== "online") return undefined
    return `warning: a device with id ${deviceId} is online on the broker right now (${deviceTopic(topicRoot, deviceId, "status")} = online). If it is another board, the two will take each other's connection over and flap; give this one its own --device-id (or leave it out to use the MAC)`
}

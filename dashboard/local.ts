/** The dashboard of the local stack (`npm start`): this machine only, commands off, a free port when the usual one is taken. */
import { fieldlinkVersion } from "@fieldlink/homeassistant/version"
import { startDashboard, type Dashboard } from "./service.js"

export async function startLocalDashboard(o: {
    broker: URL
    nodes?: readonly URL[]
    topicRoot: string
    port: number
    haPrefix?: string
}): Promise<Dashboard> {
    const options = {
        broker: o.broker,
        nodes: o.nodes,
        topicRoot: o.topicRoot,
        host: "127.0.0.1",
        commands: false,
        homeAssistant: o.haPrefix ? { prefix: o.haPrefix, version: fieldlinkVersion() } : undefined,
    }
    try {
        return await startDashboard({ ...options, port: o.port })
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e
        return startDashboard({ ...options, port: 0 })
    }
}

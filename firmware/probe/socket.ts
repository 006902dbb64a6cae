// Probe for test/vm: connects to host:port from its settings, says hello, prints what
// comes back line by line, and reports when the connection closes.
import { readSetting } from "@devicescript/settings"
import { connect } from "@devicescript/net"

const host = await readSetting("host", "127.0.0.1")
const port = await readSetting("port", 0)
const name = await readSetting("name", "probe")
const proto = await readSetting<"tcp" | "tls">("proto", "tcp")
try {
    const socket = await connect({ host, port, proto, timeout: 5000 })
    console.log("socket open")
    await socket.send(`hello ${name}\n`)
    for (;;) {
        const line = await socket.readLine()
        if (line === null) break
        console.log(`socket got ${line}`)
        if (line === "bye") await socket.send(`bye ${name}\n`)
    }
    console.log("socket closed")
} catch (e) {
    console.log(`socket error ${(e as Error).message}`)
}

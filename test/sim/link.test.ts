// The simulated network link, over real loopback TCP.
import test from "ava"
import net from "node:net"
import { NetworkLink } from "../../sim/network/link.js"
import { netConnector } from "../../devs-host/index.js"
import { waitFor } from "../support/wait.js"

async function echoServer(t: import("ava").ExecutionContext) {
    const sockets: net.Socket[] = []
    const closed: string[] = []
    const server = net.createServer((s) => {
        sockets.push(s)
        s.on("data", (d) => s.write(d))
        s.on("close", () => closed.push("closed"))
        s.on("error", () => undefined)
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    t.teardown(() => {
        for (const s of sockets) s.destroy()
        server.close()
    })
    return { port: (server.address() as net.AddressInfo).port, sockets, closed }
}

/** A connection through `link`, recording its events; resolves once it is open. */
async function openThrough(link: NetworkLink, port: number) {
    const events: string[] = []
    let text = ""
    const sock = link.connect({ host: "127.0.0.1", port, tls: false }, {
        open: () => events.push("open"),
        data: (c) => (text += Buffer.from(c).toString()),
        error: (m) => events.push(`error ${m}`),
        close: () => events.push("close"),
    })
    await waitFor(() => events.includes("open"), { timeoutMs: 2000, what: "open" })
    return { sock, events, received: () => text }
}

test("up: bytes flow both ways, with the configured delay", async (t) => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock, received } = await openThrough(link, server.port)
    link.setDelay(150)
    const sent = Date.now()
    sock.write(new TextEncoder().encode("ping"))
    await waitFor(() => received() === "ping", { timeoutMs: 2000, what: "echo" })
    t.true(Date.now() - sent >= 290, "delayed on the way out and on the way back")
    sock.end()
})

test("cut: live connections are reset at once and new ones fail", async (t) => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const events: string[] = []
    const handlers = {
        open: () => events.push("open"),
        data: () => undefined,
        error: (m: string) => events.push(`error ${m}`),
        close: () => events.push("close"),
    }
    link.connect({ host: "127.0.0.1", port: server.port, tls: false }, handlers)
    await waitFor(() => events.includes("open"), { timeoutMs: 2000, what: "open" })
    link.set("cut")
    await waitFor(() => events.some((e) => e.startsWith("error")), { timeoutMs: 2000, what: "error on the board side" })
    await waitFor(() => server.closed.length === 1, { timeoutMs: 2000, what: "the far side sees the connection end" })
    const again: string[] = []
    link.connect({ host: "127.0.0.1", port: server.port, tls: false }, { ...handlers, error: (m) => again.push(m), open: () => again.push("open") })
    await waitFor(() => again.length > 0, { timeoutMs: 2000, what: "the new attempt's outcome" })
    t.regex(again[0], /network unreachable/)
    t.is(server.sockets.length, 1, "no connection reached the server while cut")
})

test("blackhole: nothing passes and nobody is told; a far-side close is delivered on restore", async (t) => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock, events, received } = await openThrough(link, server.port)
    link.set("blackhole")
    sock.write(new TextEncoder().encode("lost"))
    server.sockets[0].write("also lost")
    server.sockets[0].end()
    await waitFor(() => server.closed.length === 1, { timeoutMs: 2000, what: "far side closed" })
    // Give a wrongly delivered event every chance to show up before checking for none.
    await new Promise((r) => setTimeout(r, 300))
    t.is(received(), "")
    t.deepEqual(events, ["open"])
    link.set("up")
    await waitFor(() => events.includes("close"), { timeoutMs: 2000, what: "close delivered after restore" })
    t.is(received(), "")
})

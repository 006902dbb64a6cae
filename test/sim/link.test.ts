// The simulated network link, over real loopback TCP.
import test from "ava"
import net from "node:net"
import { NetworkLink } from "../../sim/network/link.js"
import { netConnector } from "../../devs-host/index.js"
import { BOARD_RTO_MS } from "../../sim/network/retransmit.js"
import { waitFor } from "../support/wait.js"

async function echoServer(t: import("ava").ExecutionContext) {
    const sockets: net.Socket[] = []
    const closed: string[] = []
    const server = net.createServer(s => {
        sockets.push(s)
        s.on("data", d => s.write(d))
        s.on("close", () => closed.push("closed"))
        s.on("error", () => undefined)
    })
    await new Promise<void>(r => server.listen(0, "127.0.0.1", r))
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
    const sock = link.connect(
        { host: "127.0.0.1", port, tls: false },
        {
            open: () => events.push("open"),
            data: c => (text += Buffer.from(c).toString()),
            error: m => events.push(`error ${m}`),
            close: () => events.push("close"),
        },
    )
    await waitFor(() => events.includes("open"), { timeoutMs: 2000, what: "open" })
    return { sock, events, received: () => text }
}

test("up: bytes flow both ways, with the configured delay", async t => {
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

test("cut: live connections are reset at once and new ones fail", async t => {
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
    await waitFor(() => events.some(e => e.startsWith("error")), {
        timeoutMs: 2000,
        what: "error on the board side",
    })
    await waitFor(() => server.closed.length === 1, {
        timeoutMs: 2000,
        what: "the far side sees the connection end",
    })
    const again: string[] = []
    link.connect(
        { host: "127.0.0.1", port: server.port, tls: false },
        { ...handlers, error: m => again.push(m), open: () => again.push("open") },
    )
    await waitFor(() => again.length > 0, { timeoutMs: 2000, what: "the new attempt's outcome" })
    t.regex(again[0], /network unreachable/)
    t.is(server.sockets.length, 1, "no connection reached the server while cut")
})

const encode = (text: string) => new TextEncoder().encode(text)
/** Gives a wrongly delivered event every chance to show up before checking for none. */
const settle = () => new Promise(r => setTimeout(r, 300))

test("blackhole: nothing crosses meanwhile; on restore what each end retransmitted arrives, in order", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock, events, received } = await openThrough(link, server.port)
    let atServer = ""
    server.sockets[0].on("data", d => (atServer += d.toString()))
    link.set("blackhole")
    sock.write(encode("one "))
    sock.write(encode("two"))
    server.sockets[0].write("from the far end ")
    await settle()
    t.is(atServer, "", "nothing reached the far end")
    t.is(received(), "", "nothing reached the board")
    link.set("up")
    await waitFor(() => received() === "from the far end one two", {
        timeoutMs: 2000,
        what: "the held bytes, then the echo",
    })
    t.is(atServer, "one two")
    t.deepEqual(events, ["open"], "the connection survived the hole")
})

test("blackhole: the board's own close does not cross; its FIN arrives on restore", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock } = await openThrough(link, server.port)
    link.set("blackhole")
    sock.end()
    await settle()
    t.is(server.closed.length, 0, "the broker would not see the close (no early will)")
    link.set("up")
    await waitFor(() => server.closed.length === 1, {
        timeoutMs: 2000,
        what: "the FIN, retransmitted after the hole",
    })
    t.pass()
})

test("blackhole: a board that destroyed its socket answers the far end's next segment with an RST", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock } = await openThrough(link, server.port)
    link.set("blackhole")
    sock.destroy()
    link.set("up")
    await settle()
    t.is(server.closed.length, 0, "an idle far end learns nothing until it sends")
    server.sockets[0].write("anyone there?")
    await waitFor(() => server.closed.length === 1, { timeoutMs: 2000, what: "the RST" })
    t.pass()
})

test("blackhole: a far-side close is told to the board only on restore, after what was sent before it", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock, events, received } = await openThrough(link, server.port)
    link.set("blackhole")
    sock.write(encode("lost"))
    server.sockets[0].write("last words")
    server.sockets[0].end()
    await waitFor(() => server.closed.length === 1, { timeoutMs: 2000, what: "far side closed" })
    await settle()
    t.is(received(), "")
    t.deepEqual(events, ["open"])
    link.set("up")
    await waitFor(() => events.includes("close"), { timeoutMs: 2000, what: "close delivered after restore" })
    t.is(received(), "last words")
})

test("wifi-loss: the board's socket errors at once; the far end hears nothing until its segment meets an RST after the restore", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { events } = await openThrough(link, server.port)
    link.set("wifi-loss")
    await waitFor(() => events.some(e => e.startsWith("error")), {
        timeoutMs: 2000,
        what: "the board's socket error",
    })
    t.regex(events[1], /WiFi lost/)
    const again: string[] = []
    link.connect(
        { host: "127.0.0.1", port: server.port, tls: false },
        {
            open: () => again.push("open"),
            data: () => undefined,
            error: m => again.push(m),
            close: () => again.push("close"),
        },
    )
    await waitFor(() => again.length > 0, { timeoutMs: 2000, what: "the new attempt's outcome" })
    t.regex(again[0], /unreachable/)
    server.sockets[0].write("while the board is away")
    await settle()
    t.is(server.closed.length, 0, "the broker's side stays open: it learns by keep-alive")
    link.set("up")
    await waitFor(() => server.closed.length === 1, {
        timeoutMs: 2000,
        what: "the RST answering the retransmitted segment",
    })
    t.is(server.sockets.length, 1, "no connection reached the server while the WiFi was gone")
})

test("power cut: the board's sockets go silent; after power-on the far end's next segment meets an RST", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    const { sock, events } = await openThrough(link, server.port)
    link.powerCut()
    sock.destroy() // what the dying VM does: it must not reach the wire
    server.sockets[0].write("nobody home")
    await settle()
    t.is(server.closed.length, 0, "no FIN, no RST from a board without power")
    t.deepEqual(events, ["open"])
    link.powerOn()
    await waitFor(() => server.closed.length === 1, {
        timeoutMs: 2000,
        what: "the RST answering the retransmitted segment",
    })
    t.pass()
})

test("blackhole: a connection attempt made in the hole completes at its SYN's next retransmission, not at once", async t => {
    const server = await echoServer(t)
    const link = new NetworkLink(netConnector)
    t.teardown(() => link.close())
    link.set("blackhole")
    const started = Date.now()
    const events: string[] = []
    link.connect(
        { host: "127.0.0.1", port: server.port, tls: false },
        {
            open: () => events.push("open"),
            data: () => undefined,
            error: m => events.push(m),
            close: () => events.push("close"),
        },
    )
    await settle()
    t.is(server.sockets.length, 0, "the SYN was lost")
    link.set("up")
    const restored = Date.now()
    await waitFor(() => events.includes("open"), {
        timeoutMs: 4000,
        what: "open after the retransmitted SYN",
    })
    t.true(
        Date.now() - started >= BOARD_RTO_MS,
        `opened ${Date.now() - started} ms after the attempt; the first retransmission is ${BOARD_RTO_MS} ms after it`,
    )
    t.true(
        Date.now() - restored >= BOARD_RTO_MS - (restored - started) - 50,
        "it waited for the retransmission after the restore",
    )
})

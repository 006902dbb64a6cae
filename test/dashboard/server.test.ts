// The dashboard's HTTP side against a real mosquitto, without a browser: the token and
// its cookie, Host checks, commands off by default, refused commands, and a sent command
// as an independent mosquitto_sub sees it.
import test from "ava"
import mqtt from "mqtt"
import { startDashboard, type DashboardOptions } from "../../dashboard/service.js"
import { mosquittoAvailable, startMosquitto, type Mosquitto } from "../support/mosquitto.js"
import { startWitness } from "../support/witness.js"
import { waitFor } from "../support/wait.js"
import type { ExecutionContext } from "ava"

const TOKEN = "0123456789abcdef0123"

async function dashboard(t: ExecutionContext, m: Mosquitto, extra: Partial<DashboardOptions> = {}) {
    const d = await startDashboard({
        broker: new URL(m.url),
        topicRoot: "fieldlink",
        host: "127.0.0.1",
        port: 0,
        commands: false,
        ...extra,
    })
    t.teardown(() => d.close())
    return d
}

async function post(
    url: string,
    body: unknown,
    headers: Record<string, string> = { "Content-Type": "application/json" },
) {
    const res = await fetch(url, {
        method: "POST",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } }
}

const available = mosquittoAvailable()
if (available.ok) {
    test("with a token: 401 without it, the address trades it for a cookie, bearer works", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const d = await dashboard(t, m, { token: TOKEN })
        t.is(d.url, `http://127.0.0.1:${d.port}/?token=${TOKEN}`)
        const base = `http://127.0.0.1:${d.port}`
        const denied = await fetch(`${base}/api/fleet`)
        t.is(denied.status, 401)
        t.regex(((await denied.json()) as { error: string }).error, /a token is required/)
        t.is((await fetch(`${base}/api/fleet?token=wrong-token-wrong-token`)).status, 401)
        const trade = await fetch(d.url, { redirect: "manual" })
        t.is(trade.status, 303)
        t.is(trade.headers.get("location"), "/")
        const cookie = trade.headers.get("set-cookie")!
        t.regex(cookie, /^fieldlink_token=0123456789abcdef0123; HttpOnly; SameSite=Strict; Path=\//)
        t.is((await fetch(`${base}/`, { headers: { cookie: cookie.split(";")[0] } })).status, 200)
        t.is(
            (await fetch(`${base}/api/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
            200,
        )
        t.is(
            (
                await fetch(`${base}/assets/uPlot.iife.min.js`, {
                    headers: { authorization: `Bearer ${TOKEN}` },
                })
            ).status,
            200,
        )
    })

    test("without a token only loopback Host names are answered; assets come from this process", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const d = await dashboard(t, m)
        const base = `http://127.0.0.1:${d.port}`
        const page = await fetch(`${base}/`)
        t.is(page.status, 200)
        const html = await page.text()
        t.notRegex(html, /https?:\/\//, "the page loads nothing from elsewhere")
        t.regex(page.headers.get("content-security-policy")!, /default-src 'self'/)
        for (const asset of [
            "/assets/app.js",
            "/assets/style.css",
            "/assets/uPlot.iife.min.js",
            "/assets/uPlot.min.css",
        ])
            t.is((await fetch(base + asset)).status, 200, asset)
        // fetch() will not let a test set Host; a raw request can.
        const rebound = await rawGet(d.port, "/api/fleet", "evil.example:80")
        t.is(rebound, 403)
    })

    test("commands: off unless enabled; checked; cross-site refused; a valid one reaches the broker", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "fieldlink/devices/+/cmd/#")
        t.teardown(() => w.stop())
        const off = await dashboard(t, m)
        const offResult = await post(`http://127.0.0.1:${off.port}/api/devices/dev-1/cmd/interval`, {
            value: 2000,
        })
        t.is(offResult.status, 403)
        t.regex(offResult.body.error!, /commands are off; start the dashboard with --commands/)

        const on = await dashboard(t, m, { commands: true })
        const url = `http://127.0.0.1:${on.port}/api/devices/dev-1/cmd/interval`
        const unknown = await post(url, { value: 2000 })
        t.is(unknown.status, 404, "no such device yet")
        const pub = await mqtt.connectAsync(m.url, { clientId: "pub", reconnectPeriod: 0 })
        t.teardown(() => pub.endAsync())
        await pub.publishAsync("fieldlink/devices/dev-1/status", "online", { retain: true })
        await waitFor(() => on.state.device("dev-1"), { what: "the dashboard to see dev-1" })
        t.regex(
            (await post(url, { value: 50 })).body.error!,
            /interval expects whole milliseconds from 100 to 86400000, got 50/,
        )
        t.is((await post(url, "{nope")).status, 400)
        t.is((await post(url, { value: 2000 }, { "Content-Type": "text/plain" })).status, 415)
        t.is(
            (
                await post(
                    url,
                    { value: 2000 },
                    { "Content-Type": "application/json", Origin: "http://evil.example" },
                )
            ).status,
            403,
        )
        t.is(
            (await post(`http://127.0.0.1:${on.port}/api/devices/dev-1/cmd/restart`, { value: 1 })).status,
            400,
        )
        const sent = await post(url, { value: 2000 })
        t.is(sent.status, 202)
        const got = await w.waitFor(x => x.topic === "fieldlink/devices/dev-1/cmd/interval", 5000)
        t.is(got.text, "2000")
        t.false(got.retain)
        t.is(w.messages().length, 1, "only the valid command was published")
    })
} else {
    test("dashboard server tests (skipped: " + available.reason + ")", t => t.pass())
}

async function rawGet(port: number, path: string, host: string): Promise<number> {
    const http = await import("node:http")
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path, headers: { host } }, res => {
            res.resume()
            resolve(res.statusCode ?? 0)
        })
        req.on("error", reject)
        req.end()
    })
}

// The dashboard in a real browser (Debian's chromium, headless, through playwright-core)
// against a real mosquitto and simulated boards running the real firmware: devices
// appear, charts gain points, a command sent from the page reaches the board, a killed
// board goes offline on the page within a bound, a flapping status is marked.
import test from "ava"
import mqtt from "mqtt"
import { startDashboard } from "../../dashboard/service.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { browserAvailable, openPage } from "../support/browser.js"
import { startTestBoard } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"

/** The broker fires the will at once on a reset socket; the rest is one MQTT hop and one SSE event. */
const OFFLINE_BOUND_MS = 5000

const mosquitto = mosquittoAvailable()
const browser = browserAvailable()
if (mosquitto.ok && browser.ok) {
    test("the fleet live in the browser: appear, chart, command, offline, duplicate id", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const d = await startDashboard({
            broker: new URL(m.url),
            topicRoot: "fieldlink",
            host: "127.0.0.1",
            port: 0,
            commands: true,
        })
        t.teardown(() => d.close())
        const page = await openPage(t)
        await page.goto(d.url)
        await page.locator("#connection.live").waitFor({ timeout: 10000 })

        const one = await startTestBoard(t, {
            broker: m.url,
            deviceId: "br-1",
            intervalMs: 500,
            temperature: () => 20 + Math.random(),
        })
        const two = await startTestBoard(t, { broker: m.url, deviceId: "br-2", intervalMs: 500 })
        const card = (id: string) => page.locator(`.card[data-device="${id}"]`)

        // Devices appear, with status, since when, transport and board, without a reload.
        for (const id of ["br-1", "br-2"])
            await card(id).and(page.locator('[data-status="online"]')).waitFor({ timeout: 20000 })
        t.regex(await card("br-1").locator(".since").innerText(), /^for \d+ s$/)
        t.regex(
            await card("br-1").locator("dl").innerText(),
            /transport\s+sim[\s\S]*board\s+sim, firmware 0\.1\.0/,
        )

        // A chart gains points.
        const chart = card("br-1").locator('.chart[data-key="temperature_c"]')
        await chart.waitFor({ timeout: 10000 })
        const before = Number(await chart.getAttribute("data-points"))
        await waitFor(async () => Number(await chart.getAttribute("data-points")) >= before + 3, {
            what: `br-1's temperature chart to gain 3 points (it had ${before})`,
            timeoutMs: 10000,
            intervalMs: 200,
        })
        t.regex(await card("br-1").locator(".last").innerText(), /temperature_c \d+(\.\d+)? °C/)

        // A command from the page reaches the board.
        const from = one.lines.length
        await card("br-1").locator('input[name="interval"]').fill("2000")
        await card("br-1").locator("form.command button").click()
        await one.waitForLine(/^cmd interval: now 2000 ms$/, 10000, from)
        // The page says "sent" on the broker's PUBACK, which may come after the board has it.
        const result = card("br-1").locator("output.result")
        await result.filter({ hasText: /sent interval = 2000 to br-1/ }).waitFor({ timeout: 10000 })
        t.regex(await result.innerText(), /sent interval = 2000 to br-1/)

        // A killed board (power cut: its socket is reset) goes offline on the page.
        const killedAt = Date.now()
        await two.board.kill()
        await card("br-2").and(page.locator('[data-status="offline"]')).waitFor({ timeout: OFFLINE_BOUND_MS })
        t.log(`br-2 offline on the page ${Date.now() - killedAt} ms after its power cut`)
        t.is(await card("br-1").getAttribute("data-status"), "online")

        // Two boards with one id: its status flaps, and the page says so.
        const twin = await mqtt.connectAsync(m.url, { clientId: "twin-fight", reconnectPeriod: 0 })
        t.teardown(() => twin.endAsync())
        t.false(await card("br-1").locator(".flap").isVisible())
        for (let i = 0; i < 6; i++)
            await twin.publishAsync("fieldlink/devices/twin/status", i % 2 === 0 ? "online" : "offline", {
                retain: true,
                qos: 1,
            })
        await card("twin").locator(".flap").waitFor({ state: "visible", timeout: 5000 })
        t.is(await card("twin").locator(".flap").innerText(), "duplicate id?")

        if (process.env.FIELDLINK_SCREENSHOT)
            await page.screenshot({ path: process.env.FIELDLINK_SCREENSHOT, fullPage: true })
    })

    test("the page says when the broker is away, and is live again when it is back", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const d = await startDashboard({
            broker: new URL(m.url),
            topicRoot: "fieldlink",
            host: "127.0.0.1",
            port: 0,
            commands: false,
        })
        t.teardown(() => d.close())
        const pub = await mqtt.connectAsync(m.url, { clientId: "dev-like", reconnectPeriod: 0 })
        await pub.publishAsync("fieldlink/devices/stay-1/status", "online", { retain: false, qos: 1 })
        await pub.endAsync()
        const page = await openPage(t)
        await page.goto(d.url)
        const connection = page.locator("#connection")
        await page.locator('.card[data-device="stay-1"]').waitFor({ timeout: 5000 })
        await page.locator("#connection.live").waitFor({ timeout: 5000 })
        await m.kill()
        await waitFor(async () => (await connection.innerText()) === "broker unreachable, reconnecting…", {
            what: "the page to say the broker is unreachable",
            timeoutMs: 5000,
            intervalMs: 100,
        })
        await m.restart()
        await waitFor(async () => (await connection.innerText()) === "live", {
            what: "the page to be live again",
            timeoutMs: 10000,
            intervalMs: 100,
        })
        t.true(
            await page.locator('.card[data-device="stay-1"]').isVisible(),
            "what was known stays on the page",
        )
        t.is(await page.locator("form.command").count(), 0, "commands are off: no form")
    })

    test("two real boards flashed with one id fight over their session, and the page says duplicate id?", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const d = await startDashboard({
            broker: new URL(m.url),
            topicRoot: "fieldlink",
            host: "127.0.0.1",
            port: 0,
            commands: false,
        })
        t.teardown(() => d.close())
        const page = await openPage(t)
        await page.goto(d.url)
        await startTestBoard(t, { broker: m.url, deviceId: "dup", intervalMs: 1000 })
        await startTestBoard(t, { broker: m.url, deviceId: "dup", intervalMs: 1000 })
        const flap = page.locator('.card[data-device="dup"] .flap')
        await flap.waitFor({ state: "visible", timeout: 30000 })
        t.is(await flap.innerText(), "duplicate id?")
        t.log(
            `session takeovers logged by mosquitto: ${m.logLines().filter(l => /already connected, closing old connection/.test(l)).length}`,
        )
    })
} else {
    test(`dashboard browser test (skipped: ${[mosquitto, browser].map(a => (a.ok ? "" : a.reason)).join(" ")})`, t =>
        t.pass())
}

// The fleet dashboard page: a snapshot and then live events from /events (Server-Sent
// Events), drawn with plain DOM and one uPlot chart per reading. Text from the broker is
// only ever set as textContent, never parsed as HTML.
"use strict"

const HOUR_S = 3600
const devices = new Map() // id -> { view, el, charts: Map(key -> { plot, data, el }) }
const gateways = new Map() // id -> { view, el }
let commands = false
let clockOffset = 0 // server clock minus this browser's clock, ms

function serverNow() {
    return Date.now() + clockOffset
}

function make(tag, className, text) {
    const e = document.createElement(tag)
    if (className) e.className = className
    if (text !== undefined) e.textContent = text
    return e
}

function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000))
    if (s < 60) return `${s} s`
    const m = Math.floor(s / 60)
    if (m < 60) return `${m} min ${s % 60} s`
    const h = Math.floor(m / 60)
    if (h < 48) return `${h} h ${m % 60} min`
    return `${Math.floor(h / 24)} d ${h % 24} h`
}

function sinceText(view) {
    const d = duration(serverNow() - view.since)
    return view.sinceExact ? `for ${d}` : `seen ${d} ago`
}

function field(dl, name, value) {
    dl.append(make("dt", "", name), make("dd", "", value ?? "–"))
}

function statusLine(card, view) {
    const head = make("div", "head")
    const status = make("span", `status ${view.status}`, view.status)
    const flap = make("span", "flap", "duplicate id?")
    flap.title = "its status changed more than 4 times in the last minute: two devices may share this id"
    head.append(make("h3", "", view.id), status, make("span", "since", sinceText(view)), flap)
    card.classList.toggle("flapping", view.flapping)
    card.classList.toggle("offline", view.status === "offline")
    card.dataset.status = view.status
    return head
}

// ---- devices ----

function readingText(view) {
    if (!view.last) return "no sample yet"
    const parts = []
    for (const [key, unit] of Object.entries(view.units)) {
        const v = view.last[key]
        if (typeof v === "number") parts.push(`${key} ${Math.round(v * 100) / 100}${unit ? " " + unit : ""}`)
    }
    if (typeof view.last.seq === "number") parts.push(`seq ${view.last.seq}`)
    return parts.join(" · ")
}

// Axis labels: hh:mm, with seconds while the chart spans less than ten minutes.
function clockLabels(u, splits) {
    const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0
    const format =
        span < 600
            ? { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }
            : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
    return splits.map(s => new Date(s * 1000).toLocaleTimeString([], format))
}

function chartFor(device, key) {
    let c = device.charts.get(key)
    if (c) return c
    const el = make("div", "chart")
    el.dataset.key = key
    el.dataset.points = "0"
    const unit = device.view.units[key]
    el.append(make("div", "label", `${key}${unit ? ` (${unit})` : ""}, last hour`))
    const data = [[], []]
    const plot = new uPlot(
        {
            width: 300,
            height: 90,
            legend: { show: false },
            cursor: { show: false },
            scales: { x: { time: true } },
            axes: [
                { size: 22, font: "10px system-ui", ticks: { show: false }, values: clockLabels },
                { size: 42, font: "10px system-ui", ticks: { show: false } },
            ],
            series: [{}, { stroke: "#0969da", width: 1.5, label: key }],
        },
        data,
        el,
    )
    c = { plot, data, el }
    device.charts.set(key, c)
    device.el.querySelector(".charts").append(el)
    return c
}

function addPoints(device, key, times, values) {
    const c = chartFor(device, key)
    for (let i = 0; i < times.length; i++) {
        const t = times[i] / 1000
        // Keep time order: a late sample (age_ms) goes where it belongs.
        let j = c.data[0].length
        while (j > 0 && c.data[0][j - 1] > t) j--
        c.data[0].splice(j, 0, t)
        c.data[1].splice(j, 0, values[i])
    }
    const oldest = serverNow() / 1000 - HOUR_S
    while (c.data[0].length > 0 && c.data[0][0] < oldest) {
        c.data[0].shift()
        c.data[1].shift()
    }
    c.plot.setData(c.data)
    c.el.dataset.points = String(c.data[0].length)
}

function commandForm(id) {
    const form = make("form", "command")
    const input = make("input")
    input.type = "number"
    input.min = "100"
    input.max = "86400000"
    input.step = "100"
    input.name = "interval"
    input.placeholder = "ms"
    input.required = true
    const button = make("button", "", "Set interval")
    button.type = "submit"
    const out = make("output", "result")
    form.append(make("label", "", "interval"), input, button, out)
    form.addEventListener("submit", async event => {
        event.preventDefault()
        out.textContent = "sending…"
        try {
            const res = await fetch(`/api/devices/${encodeURIComponent(id)}/cmd/interval`, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ value: Number(input.value) }),
            })
            const body = await res.json()
            out.textContent = res.ok ? body.message : `refused: ${body.error}`
        } catch (e) {
            out.textContent = `failed: ${e.message}`
        }
    })
    return form
}

function renderDevice(view) {
    let d = devices.get(view.id)
    if (!d) {
        d = { view, el: make("div", "card device"), charts: new Map() }
        d.el.dataset.device = view.id
        d.el.append(make("div", "head"), make("dl"), make("div", "last"), make("div", "charts"))
        devices.set(view.id, d)
        placeSorted(document.getElementById("devices"), d.el, view.id)
    }
    d.view = view
    d.el.querySelector(".head").replaceWith(statusLine(d.el, view))
    const dl = make("dl")
    field(
        dl,
        "transport",
        view.transport && view.gateway ? `${view.transport} via ${view.gateway}` : view.transport,
    )
    if (typeof view.info?.interval_ms === "number")
        field(dl, "interval", `${view.info.interval_ms} ms at connect`)
    field(
        dl,
        "board",
        view.board && view.fw
            ? `${view.board}, firmware ${view.fw}`
            : (view.board ?? (view.fw ? `firmware ${view.fw}` : null)),
    )
    d.el.querySelector("dl").replaceWith(dl)
    d.el.querySelector(".last").textContent = readingText(view)
    // Only a board running the fieldlink firmware says its interval_ms, and obeys cmd/interval.
    const form = d.el.querySelector("form.command")
    const obeys = commands && typeof view.info?.interval_ms === "number"
    if (obeys && !form) d.el.append(commandForm(view.id))
    if (!obeys && form) form.remove()
    refreshEmpty()
}

// ---- gateways ----

function renderGateway(view) {
    let g = gateways.get(view.id)
    if (!g) {
        g = { view, el: make("div", "card gateway") }
        g.el.dataset.gateway = view.id
        g.el.append(make("div", "head"), make("dl"), make("ul", "ports"))
        gateways.set(view.id, g)
        placeSorted(document.getElementById("gateways"), g.el, view.id)
    }
    g.view = view
    g.el.querySelector(".head").replaceWith(statusLine(g.el, view))
    const s = view.stats || {}
    const totals = s.totals || {}
    const dl = make("dl")
    field(dl, "upstream", s.upstream)
    field(dl, "uptime", typeof s.uptime_s === "number" ? duration(s.uptime_s * 1000) : null)
    field(dl, "queue depth", totals.queued !== undefined ? String(totals.queued) : null)
    field(dl, "drops", totals.drops !== undefined ? String(totals.drops) : null)
    field(dl, "line errors", totals.errors !== undefined ? String(totals.errors) : null)
    field(
        dl,
        "stats",
        view.statsAt ? `${duration(serverNow() - view.statsAt)} ago` : "none yet (sent every statsIntervalS)",
    )
    g.el.querySelector("dl").replaceWith(dl)
    const ports = make("ul", "ports")
    for (const [path, p] of Object.entries(s.ports || {})) {
        ports.append(
            make(
                "li",
                "",
                `${path}: ${p.open ? `open, ${p.device ?? "no device yet"}, ${p.lines} lines` : "closed"}`,
            ),
        )
    }
    g.el.querySelector(".ports").replaceWith(ports)
    refreshEmpty()
}

// ---- plumbing ----

function placeSorted(container, el, id) {
    const after = [...container.children].find(c => (c.dataset.device ?? c.dataset.gateway) > id)
    container.insertBefore(el, after ?? null)
}

function refreshEmpty() {
    document.getElementById("no-devices").hidden = devices.size > 0
    document.getElementById("no-gateways").hidden = gateways.size > 0
    const online = [...devices.values()].filter(d => d.view.status === "online").length
    document.getElementById("summary").textContent =
        `${devices.size} device(s), ${online} online · ${gateways.size} gateway(s)`
}

function snapshot(s) {
    clockOffset = s.now - Date.now()
    commands = s.commands
    devices.clear()
    gateways.clear()
    document.getElementById("devices").replaceChildren()
    document.getElementById("gateways").replaceChildren()
    for (const e of document.querySelectorAll(".root")) e.textContent = s.about.topicRoot
    document.getElementById("about").textContent =
        `broker ${s.about.broker} · topic root ${s.about.topicRoot} · commands ${commands ? "on" : "off"}`
    for (const view of s.devices) {
        renderDevice(view)
        const d = devices.get(view.id)
        for (const [key, series] of Object.entries(view.series)) addPoints(d, key, series.t, series.v)
    }
    for (const view of s.gateways) renderGateway(view)
    refreshEmpty()
}

function tick() {
    for (const d of devices.values()) d.el.querySelector(".since").textContent = sinceText(d.view)
    for (const g of gateways.values()) renderGateway(g.view)
}

function connect() {
    const connection = document.getElementById("connection")
    const events = new EventSource("/events")
    const on = (name, handle) => events.addEventListener(name, m => handle(JSON.parse(m.data)))
    on("snapshot", snapshot)
    on("device", e => renderDevice(e.device))
    on("gateway", e => renderGateway(e.gateway))
    on("points", e => {
        const d = devices.get(e.id)
        if (d) for (const [key, v] of Object.entries(e.values)) addPoints(d, key, [e.t], [v])
    })
    on("remove", e => {
        const map = e.kind === "device" ? devices : gateways
        map.get(e.id)?.el.remove()
        map.delete(e.id)
        refreshEmpty()
    })
    let brokerUp = true
    const show = (text, live) => {
        connection.textContent = text
        connection.classList.toggle("live", live)
    }
    on("broker", e => {
        brokerUp = e.connected
        show(brokerUp ? "live" : "broker unreachable, reconnecting…", brokerUp)
    })
    events.onopen = () => show(brokerUp ? "live" : "broker unreachable, reconnecting…", brokerUp)
    events.onerror = () => show("dashboard unreachable, reconnecting…", false)
}

connect()
setInterval(tick, 1000)

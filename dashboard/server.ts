/**
 * The dashboard's HTTP side: the page and its assets (uPlot from node_modules; nothing
 * from the internet), the fleet as JSON, live updates as Server-Sent Events, and the
 * `interval` command when enabled. Every request passes the access rules first.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join, sep } from "node:path"
import { packageOf } from "@fieldlink/lib/package-info"
import { hostAllowed, requestToken, TOKEN_COOKIE, tokenMatches } from "./access.js"
import type { FleetEvent, FleetSnapshot } from "./fleet-state.js"

const require = createRequire(import.meta.url)
// The page sits beside package.json, so the same folder is found from the sources and from dist/.
const PAGE_DIR = join(packageOf(import.meta.url).root, "page") + sep

/** Path → [file, content type]. Read at start-up: a missing asset fails at once, not on first view. */
function assets(): Map<string, { body: Buffer; type: string }> {
    const files: [string, string, string][] = [
        ["/", `${PAGE_DIR}index.html`, "text/html; charset=utf-8"],
        ["/assets/app.js", `${PAGE_DIR}app.js`, "text/javascript; charset=utf-8"],
        ["/assets/style.css", `${PAGE_DIR}style.css`, "text/css; charset=utf-8"],
        [
            "/assets/uPlot.iife.min.js",
            require.resolve("uplot/dist/uPlot.iife.min.js"),
            "text/javascript; charset=utf-8",
        ],
        ["/assets/uPlot.min.css", require.resolve("uplot/dist/uPlot.min.css"), "text/css; charset=utf-8"],
    ]
    return new Map(files.map(([path, file, type]) => [path, { body: readFileSync(file), type }]))
}

export interface CommandRequest {
    deviceId: string
    name: string
    value: unknown
}

/** The outcome of a command: HTTP status and a message for the page. */
export interface CommandResult {
    status: number
    message: string
}

export interface DashboardServerOptions {
    token?: string
    /** Whether the page may send commands (`--commands`). */
    commands: boolean
    snapshot(): FleetSnapshot
    command(request: CommandRequest): Promise<CommandResult>
    /** Facts for the page header. */
    about: { broker: string; topicRoot: string }
}

const SECURITY_HEADERS = {
    "Content-Security-Policy":
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

export class DashboardServer {
    readonly http: Server
    private readonly files = assets()
    private readonly streams = new Set<ServerResponse>()
    private readonly keepAlive: NodeJS.Timeout

    constructor(private readonly o: DashboardServerOptions) {
        this.http = createServer((req, res) => {
            this.route(req, res).catch((e: Error) => this.send(res, 500, { error: e.message }))
        })
        // A comment line every 15 s keeps proxies and idle timeouts from closing the stream.
        this.keepAlive = setInterval(() => this.write(": keep-alive\n\n"), 15000)
        this.keepAlive.unref()
    }

    /** Whether the dashboard's own MQTT connection is up; the page shows it. */
    private brokerUp = true

    brokerState(up: boolean): void {
        if (up === this.brokerUp) return
        this.brokerUp = up
        this.write(`event: broker\ndata: ${JSON.stringify({ connected: up })}\n\n`)
    }

    broadcast(events: FleetEvent[]): void {
        for (const e of events) this.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
    }

    close(): Promise<void> {
        clearInterval(this.keepAlive)
        for (const s of this.streams) s.end()
        this.streams.clear()
        return new Promise(resolve => {
            this.http.close(() => resolve())
            this.http.closeAllConnections()
        })
    }

    private write(chunk: string): void {
        for (const s of this.streams) s.write(chunk)
    }

    private send(res: ServerResponse, status: number, body: unknown): void {
        if (res.headersSent) return void res.end()
        res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json; charset=utf-8" })
        res.end(JSON.stringify(body))
    }

    private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://dashboard.invalid")
        const token = this.o.token
        if (!hostAllowed(req.headers.host, token !== undefined))
            return this.send(res, 403, {
                error: "this dashboard answers only to localhost, 127.0.0.1 or [::1] in the address bar",
            })
        if (token !== undefined) {
            const given = requestToken(req.headers, url)
            if (!tokenMatches(token, given))
                return this.send(res, 401, {
                    error: "a token is required: open the address printed at start-up (it ends in ?token=…), or send Authorization: Bearer <token>",
                })
            if (url.searchParams.has("token") && req.method === "GET") {
                // Trade the token in the address for a cookie, and take it out of the address bar.
                url.searchParams.delete("token")
                res.writeHead(303, {
                    ...SECURITY_HEADERS,
                    "Set-Cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
                    Location: url.pathname + url.search,
                })
                return void res.end()
            }
        }
        const file = req.method === "GET" ? this.files.get(url.pathname) : undefined
        if (file) {
            res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": file.type })
            return void res.end(file.body)
        }
        if (req.method === "GET" && url.pathname === "/favicon.ico")
            return void res.writeHead(204, SECURITY_HEADERS).end()
        if (req.method === "GET" && url.pathname === "/api/fleet")
            return this.send(res, 200, {
                ...this.o.snapshot(),
                commands: this.o.commands,
                about: this.o.about,
            })
        if (req.method === "GET" && url.pathname === "/events") return this.events(res)
        const cmd = /^\/api\/devices\/([^/]+)\/cmd\/([^/]+)$/.exec(url.pathname)
        if (req.method === "POST" && cmd)
            return this.command(req, res, decodeURIComponent(cmd[1]), decodeURIComponent(cmd[2]))
        return this.send(res, 404, { error: `no such page: ${req.method} ${url.pathname}` })
    }

    private events(res: ServerResponse): void {
        res.writeHead(200, {
            ...SECURITY_HEADERS,
            "Content-Type": "text/event-stream; charset=utf-8",
            Connection: "keep-alive",
        })
        res.write(
            `event: snapshot\ndata: ${JSON.stringify({ ...this.o.snapshot(), commands: this.o.commands, about: this.o.about })}\n\n`,
        )
        res.write(`event: broker\ndata: ${JSON.stringify({ connected: this.brokerUp })}\n\n`)
        this.streams.add(res)
        res.on("close", () => this.streams.delete(res))
    }

    private async command(
        req: IncomingMessage,
        res: ServerResponse,
        deviceId: string,
        name: string,
    ): Promise<void> {
        if (!this.o.commands)
            return this.send(res, 403, {
                error: "commands are off; start the dashboard with --commands to send them from the page",
            })
        // A JSON body cannot be sent cross-site without a CORS preflight, which this server never grants.
        if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
            return this.send(res, 415, { error: 'send the command as application/json: {"value": 5000}' })
        const origin = req.headers.origin
        if (origin !== undefined && origin !== `http://${req.headers.host}`)
            return this.send(res, 403, {
                error: `commands are accepted only from this dashboard's own page, not from ${origin}`,
            })
        let body: { value?: unknown }
        try {
            body = JSON.parse(await readBody(req, 4096))
        } catch (e) {
            return this.send(res, 400, { error: `the body is not JSON: ${(e as Error).message}` })
        }
        const result = await this.o.command({ deviceId, name, value: body?.value })
        this.send(
            res,
            result.status,
            result.status < 300 ? { ok: true, message: result.message } : { error: result.message },
        )
    }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
    return new Promise((resolve, reject) => {
        let body = ""
        req.setEncoding("utf8")
        req.on("data", (chunk: string) => {
            body += chunk
            if (body.length > limit) {
                reject(new Error(`longer than ${limit} bytes`))
                req.destroy()
            }
        })
        req.on("end", () => resolve(body))
        req.on("error", reject)
    })
}

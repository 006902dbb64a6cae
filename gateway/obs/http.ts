/**
 * The health and metrics endpoint: GET /healthz (the process runs: always 200 while it
 * answers), /readyz (200 while the gateway's own MQTT connection is up, else 503),
 * /metrics (Prometheus text). Listens on localhost by default.
 */
import type { AddressInfo } from "node:net"

// Not `import http from "node:http"`: an ES import of node:http reads every export, and
// on Node 22 that loads undici (for http.WebSocket), the HTTP client the gateway never
// uses: on a small board a second of CPU at every start.
const http = process.getBuiltinModule("node:http")

export interface HealthSource {
    ready(): boolean
    summary(): unknown
    metrics(): string
}

export interface HealthServer {
    readonly port: number
    close(): Promise<void>
}

export async function startHealthServer(
    host: string,
    port: number,
    source: HealthSource,
): Promise<HealthServer> {
    const server = http.createServer((req, res) => {
        const url = (req.url ?? "/").split("?")[0]
        if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405, { allow: "GET, HEAD" }).end()
            return
        }
        if (url === "/metrics") {
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(
                source.metrics(),
            )
        } else if (url === "/healthz" || url === "/readyz" || url === "/") {
            const ok = url !== "/readyz" || source.ready()
            res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(
                JSON.stringify({ status: ok ? "ok" : "not-ready", ...(source.summary() as object) }) + "\n",
            )
        } else {
            res.writeHead(404, { "content-type": "text/plain" }).end(
                "not found: try /healthz, /readyz or /metrics\n",
            )
        }
    })
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen({ host, port }, () => {
            server.off("error", reject)
            resolve()
        })
    })
    return {
        port: (server.address() as AddressInfo).port,
        close: () =>
            new Promise<void>(resolve => {
                server.close(() => resolve())
                server.closeAllConnections()
            }),
    }
}

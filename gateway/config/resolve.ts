/**
 * Cross-field rules and the world outside the file (after the schema check): secrets
 * from the environment or files, TLS files read once, defaults that depend on the host,
 * and the port entries merged with `defaults`. Every problem is collected, then thrown
 * together as one ConfigError.
 */
import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { topicNameError } from "@fieldlink/protocol/mqtt"
import { ConfigError, shown } from "@fieldlink/lib/config/errors"
import { PORT_DEFAULTS } from "./schema.js"
import {
    deepFreeze,
    type GatewayConfig,
    type PortConfig,
    type PortOptions,
    type PortSelector,
    type TlsConfig,
} from "./types.js"

export interface ResolveContext {
    /** Relative paths (TLS files, secret files, stateDir) are resolved against this. */
    baseDir: string
    env: NodeJS.ProcessEnv
    /** This machine's host name, the default gateway id; os.hostname() unless given. */
    hostname?: string
}

type Raw = Record<string, unknown>

/** The host name as a gateway id: `[A-Za-z0-9_-]`, at most 64. */
export function topicSafe(name: string): string {
    const safe = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64)
    return safe === "" ? "gateway" : safe
}

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
    // systemd's StateDirectory= sets $STATE_DIRECTORY (several are separated by ":").
    if (env.STATE_DIRECTORY) return env.STATE_DIRECTORY.split(":")[0]
    const base = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state")
    return path.join(base, "fieldlink")
}

/** Actions by fieldlink's own convention: run again from a retained message at every connection, they would loop the device. */
const NEVER_RESTORED = ["restart", "stop"]

function checkRetainedCommands(
    names: readonly string[],
    at: (string | number)[],
    problem: (p: (string | number)[], message: string) => void,
): void {
    names.forEach((name, i) => {
        if (NEVER_RESTORED.includes(name))
            problem(
                [...at, i],
                `found ${shown(name)}, an action: a retained ${name} would run again at every connection (a ${name} loop); list only commands that set a state, like interval`,
            )
    })
}

export function resolveConfig(
    data: Raw,
    source: string,
    context: ResolveContext,
    where: (p: (string | number)[]) => string,
): GatewayConfig {
    const problems: string[] = []
    const problem = (p: (string | number)[], message: string) => problems.push(`${where(p)}: ${message}`)
    const gateway = data.gateway as Raw
    const broker = data.broker as Raw
    const file = (p: string) => path.resolve(context.baseDir, p)

    const secret = (value: unknown, at: (string | number)[]): string | undefined => {
        if (value === undefined) return undefined
        if (typeof value === "string") return value
        const ref = value as { env?: string; file?: string }
        if ((ref.env === undefined) === (ref.file === undefined)) {
            problem(
                at,
                `found ${ref.env === undefined ? "an empty mapping" : "both env and file"}, expected a string, { env: NAME } or { file: PATH }`,
            )
            return undefined
        }
        if (ref.env !== undefined) {
            const v = context.env[ref.env]
            if (v === undefined)
                problem(at, `found { env: ${ref.env} }, but the environment variable ${ref.env} is not set`)
            return v
        }
        try {
            return readFileSync(file(ref.file!), "utf8").replace(/\r?\n$/, "")
        } catch (e) {
            problem(
                at,
                `found { file: ${JSON.stringify(ref.file)} }, but it cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            )
            return undefined
        }
    }

    // --- broker ---
    // broker.url names one broker; broker.urls several nodes of one (a cluster, or brokers
    // bridged on the topic root), tried in turn. Exactly one of the two.
    const listed = broker.urls as unknown[] | undefined
    if (listed !== undefined && broker.url !== undefined)
        problem(
            ["broker", "urls"],
            "is set together with broker.url; keep one: url for one broker, urls for several",
        )
    if (listed === undefined && broker.url === undefined)
        problem(
            ["broker", "url"],
            "is missing: give the broker's URL (url: mqtt://broker.local:1883), or urls: [...] for several nodes",
        )
    const urls: URL[] = []
    for (const [i, raw] of (listed ?? (broker.url === undefined ? [] : [broker.url])).entries()) {
        const at = listed ? ["broker", "urls", i] : ["broker", "url"]
        try {
            const parsed = new URL(String(raw))
            if (!parsed.hostname)
                problem(at, `found ${shown(raw)}, expected a URL with a host, like mqtt://broker.local:1883`)
            else urls.push(parsed)
        } catch {
            problem(at, `found ${shown(raw)}, expected a URL like mqtt://broker.local:1883`)
        }
    }
    const url: URL | undefined = urls[0]
    let username = secret(broker.username, ["broker", "username"])
    let password = secret(broker.password, ["broker", "password"])
    for (const u of urls) {
        if (!u.username && !u.password) continue
        // Credentials in the URL would show wherever the URL is printed: take them out.
        username ??= decodeURIComponent(u.username) || undefined
        password ??= decodeURIComponent(u.password) || undefined
        u.username = ""
        u.password = ""
    }
    if (new Set(urls.map(u => u.protocol)).size > 1)
        problem(["broker", "urls"], "mixes mqtt:// and mqtts://; every node must be reached the same way")
    const protocolVersion = broker.protocolVersion as 4 | 5
    if (password !== undefined && username === undefined && protocolVersion === 4)
        problem(
            ["broker", "password"],
            "found a password without a user name, which MQTT 3.1.1 does not allow [MQTT-3.1.2-22]; set broker.username, or protocolVersion: 5",
        )
    const reconnect = broker.reconnect as { baseMs: number; capMs: number }
    if (reconnect.baseMs > reconnect.capMs)
        problem(
            ["broker", "reconnect", "baseMs"],
            `found ${reconnect.baseMs}, expected at most capMs (${reconnect.capMs})`,
        )

    let tls: TlsConfig | undefined
    const rawTls = broker.tls as Raw | undefined
    if (rawTls && url && url.protocol !== "mqtts:")
        problem(["broker", "tls"], `is set, but broker.url uses ${url.protocol}//; TLS needs mqtts://`)
    if (rawTls) {
        if ((rawTls.cert === undefined) !== (rawTls.key === undefined))
            problem(
                ["broker", "tls", rawTls.cert === undefined ? "cert" : "key"],
                `found nothing, expected it with tls.${rawTls.cert === undefined ? "key" : "cert"} (a client certificate needs both)`,
            )
        const read = (key: "ca" | "cert" | "key"): Buffer | undefined => {
            if (rawTls[key] === undefined) return undefined
            try {
                return readFileSync(file(String(rawTls[key])))
            } catch (e) {
                problem(
                    ["broker", "tls", key],
                    `found ${shown(rawTls[key])}, but it cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                )
                return undefined
            }
        }
        tls = {
            ca: read("ca"),
            cert: read("cert"),
            key: read("key"),
            passphrase: secret(rawTls.keyPassphrase, ["broker", "tls", "keyPassphrase"]),
            servername: rawTls.servername as string | undefined,
            rejectUnauthorized: rawTls.rejectUnauthorized as boolean,
            files: {
                ca: rawTls.ca === undefined ? undefined : file(String(rawTls.ca)),
                cert: rawTls.cert === undefined ? undefined : file(String(rawTls.cert)),
                key: rawTls.key === undefined ? undefined : file(String(rawTls.key)),
            },
        }
    } else if (url?.protocol === "mqtts:") {
        tls = { rejectUnauthorized: true, files: {} }
    }

    // --- gateway ---
    const topicRoot = String(gateway.topicRoot)
    const rootProblem = topicNameError(topicRoot)
    if (
        rootProblem ||
        topicRoot.startsWith("$") ||
        topicRoot.endsWith("/") ||
        topicRoot.startsWith("/") ||
        topicRoot.includes("//")
    )
        problem(
            ["gateway", "topicRoot"],
            `found ${shown(topicRoot)}, expected topic levels without +, #, empty levels or a leading $`,
        )

    // --- ports ---
    const defaults = data.defaults as Partial<PortOptions>
    if (defaults.retainedCommands !== undefined)
        checkRetainedCommands(defaults.retainedCommands, ["defaults", "retainedCommands"], problem)
    const ports: PortConfig[] = []
    const seenPaths = new Map<string, number>()
    const seenIds = new Map<string, number>()
    ;(data.ports as Raw[]).forEach((entry, i) => {
        const at = (k?: string) => (k ? ["ports", i, k] : ["ports", i])
        const kinds = (["path", "glob", "usb"] as const).filter(k => entry[k] !== undefined)
        if (kinds.length !== 1) {
            problem(
                at(),
                kinds.length === 0
                    ? "found no port selector, expected one of path, glob or usb"
                    : `found ${kinds.join(" and ")}, expected only one of path, glob or usb per entry`,
            )
            return
        }
        let selector: PortSelector
        let label: string
        if (kinds[0] === "path") {
            const p = String(entry.path)
            selector = { kind: "path", path: p }
            label = p
            if (seenPaths.has(p))
                problem(
                    at("path"),
                    `found ${shown(p)} again (also ports[${seenPaths.get(p)}]), expected each path once`,
                )
            seenPaths.set(p, i)
        } else if (kinds[0] === "glob") {
            selector = { kind: "glob", pattern: String(entry.glob) }
            label = String(entry.glob)
            if (!path.isAbsolute(label))
                problem(at("glob"), `found ${shown(label)}, expected an absolute pattern like /dev/ttyUSB*`)
        } else {
            const usb = entry.usb as { vendorId?: string; productId?: string; serialNumber?: string }
            selector = {
                kind: "usb",
                vendorId: usb.vendorId?.toLowerCase(),
                productId: usb.productId?.toLowerCase(),
                serialNumber: usb.serialNumber,
            }
            label = `usb:${usb.vendorId ?? "*"}:${usb.productId ?? "*"}${usb.serialNumber ? `:${usb.serialNumber}` : ""}`
        }
        if (selector.kind === "path" && !path.isAbsolute(selector.path))
            problem(at("path"), `found ${shown(selector.path)}, expected an absolute path like /dev/ttyUSB0`)
        const id = entry.id as string | undefined
        if (id !== undefined) {
            if (selector.kind === "glob" || (selector.kind === "usb" && !selector.serialNumber))
                problem(
                    at("id"),
                    `is set on a port chosen by ${selector.kind}, which may match several ports; give ids to ports chosen by path (or by usb with a serialNumber), or let devices say hello`,
                )
            if (seenIds.has(id))
                problem(
                    at("id"),
                    `found ${shown(id)} again (also ports[${seenIds.get(id)}]), expected each device id once`,
                )
            seenIds.set(id, i)
        }
        const option = <K extends keyof PortOptions>(k: K): PortOptions[K] =>
            (entry[k] ?? defaults[k] ?? PORT_DEFAULTS[k]) as PortOptions[K]
        ports.push({
            selector,
            label,
            id,
            baudRate: option("baudRate"),
            dataBits: option("dataBits"),
            parity: option("parity"),
            stopBits: option("stopBits"),
            rtscts: option("rtscts"),
            live: option("live"),
            maxLineBytes: option("maxLineBytes"),
            checksum: option("checksum"),
            acks: option("acks"),
            retainedCommands: option("retainedCommands"),
        })
        if (entry.retainedCommands !== undefined)
            checkRetainedCommands(entry.retainedCommands as string[], at("retainedCommands"), problem)
    })
    const queue = data.queue as GatewayConfig["queue"]
    const longest = Math.max(0, ...ports.map(p => p.maxLineBytes))
    if (queue.maxBytes < longest + 256)
        problem(
            ["queue", "maxBytes"],
            `found ${queue.maxBytes}, expected at least ${longest + 256} (the longest line, ${longest} bytes, plus its topic), or no line could ever be queued`,
        )

    if (problems.length > 0) throw new ConfigError(source, problems)
    const http = data.http as GatewayConfig["http"]
    const log = data.log as GatewayConfig["log"]
    return deepFreeze({
        id: (gateway.id as string | undefined) ?? topicSafe(context.hostname ?? os.hostname()),
        idFromHostName: gateway.id === undefined,
        topicRoot,
        stateDir: gateway.stateDir ? file(String(gateway.stateDir)) : defaultStateDir(context.env),
        statsIntervalS: gateway.statsIntervalS as number,
        scanIntervalMs: gateway.scanIntervalMs as number,
        timestamp: gateway.timestamp as GatewayConfig["timestamp"],
        broker: {
            url: url!.toString(),
            urls: urls.map(u => u.toString()),
            protocolVersion,
            keepaliveS: broker.keepaliveS as number,
            connectTimeoutMs: broker.connectTimeoutMs as number,
            clientIdPrefix: broker.clientIdPrefix as string,
            username,
            password,
            qos: broker.qos as 0 | 1,
            reconnect,
            tls,
        },
        queue,
        ports,
        log,
        http,
    })
}

/**
 * Who may use the dashboard. Secure by default: it listens on 127.0.0.1; listening
 * beyond loopback needs a token; commands are off unless asked for. Pure.
 */
import { createHash, timingSafeEqual } from "node:crypto"

export const TOKEN_COOKIE = "fieldlink_token"
export const MIN_TOKEN_LENGTH = 16

/** Whether `host` (an address or name to listen on) is this machine only. */
export function isLoopback(host: string): boolean {
    const h = host.replace(/^\[|\]$/g, "").toLowerCase()
    return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h)
}

/** Why the dashboard must not start with this host and token, or null when it may. */
export function listenProblem(host: string, token: string | undefined): string | null {
    if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
        return `the token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 16)`
    if (!isLoopback(host) && token === undefined)
        return `--host ${host} makes the dashboard reachable from other machines, so it needs a token: add --token T (or set FIELDLINK_DASHBOARD_TOKEN), at least ${MIN_TOKEN_LENGTH} characters, e.g. from openssl rand -hex 16`
    return null
}

/** Compares in constant time (hashes first, so lengths do not leak either). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
    if (given === undefined) return false
    const a = createHash("sha256").update(expected).digest()
    const b = createHash("sha256").update(given).digest()
    return timingSafeEqual(a, b)
}

/** The token a request carries: `Authorization: Bearer T`, the cookie, or `?token=T`. */
export function requestToken(
    headers: { authorization?: string; cookie?: string },
    url: URL,
): string | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")
    if (bearer) return bearer[1]
    for (const part of (headers.cookie ?? "").split(";")) {
        const [name, ...value] = part.trim().split("=")
        if (name === TOKEN_COOKIE) return decodeURIComponent(value.join("="))
    }
    return url.searchParams.get("token") ?? undefined
}

/**
 * Whether a Host header is acceptable. Without a token the dashboard answers only to
 * loopback names, so a web page elsewhere cannot reach it by rebinding its own DNS name
 * to 127.0.0.1.
 */
export function hostAllowed(hostHeader: string | undefined, tokenRequired: boolean): boolean {
    if (tokenRequired) return true
    if (!hostHeader) return false
    const host = hostHeader.replace(/:\d+$/, "")
    return isLoopback(host)
}

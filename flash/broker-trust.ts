/**
 * Will the board trust the broker's TLS certificate? The DeviceScript runtime verifies
 * the broker against its built-in CA list only (mbedtls with esp_crt_bundle,
 * MBEDTLS_SSL_VERIFY_REQUIRED; no way to add a CA), so a broker with a self-signed
 * certificate, or one from a private CA, is refused by the board, which then never
 * comes online, while every desktop client given that CA connects fine.
 *
 * How it is decided: this computer opens a TLS connection to the broker and lets
 * OpenSSL verify the certificate chain the broker presents against that same list
 * (./runtime-ca-bundle.pem, the runtime's own file) and nothing else, then checks the
 * certificate is for the host name the board uses. Only the verdict is used; no MQTT is
 * spoken. When the broker cannot be reached from here, nothing can be said.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import tls from "node:tls"
import { packageOf } from "@fieldlink/lib/package-info"

export type TrustVerdict =
    | { kind: "trusted" }
    /** `why`: OpenSSL's reason (SELF_SIGNED_CERT_IN_CHAIN, ...) or the host name mismatch. */
    | { kind: "untrusted"; why: string; issuer: string; subject: string }
    | { kind: "unknown"; why: string }

let bundle: string[] | undefined

/** The runtime's CA certificates, one PEM block each. */
export function runtimeCaBundle(): string[] {
    bundle ??=
        readFileSync(join(packageOf(import.meta.url).root, "runtime-ca-bundle.pem"), "utf8").match(
            /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
        ) ?? []
    return bundle
}

function name(entity: tls.PeerCertificate["subject"] | undefined): string {
    if (!entity) return "?"
    return Object.entries(entity)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
        .join(", ")
}

export async function checkBrokerTrust(
    host: string,
    port: number,
    o: { ca?: string[]; timeoutMs?: number } = {},
): Promise<TrustVerdict> {
    return await new Promise<TrustVerdict>(resolve => {
        const socket = tls.connect({
            host,
            port,
            servername: /^[\d.]+$|:/.test(host) ? undefined : host,
            ca: o.ca ?? runtimeCaBundle(),
            // Verified below, against the runtime's list: the verdict is what is wanted, not a refusal.
            rejectUnauthorized: false,
        })
        const done = (verdict: TrustVerdict) => {
            clearTimeout(timer)
            socket.destroy()
            resolve(verdict)
        }
        const timer = setTimeout(
            () => done({ kind: "unknown", why: `no TLS handshake within ${o.timeoutMs ?? 5000} ms` }),
            o.timeoutMs ?? 5000,
        )
        socket.once("error", (e: NodeJS.ErrnoException) =>
            done({ kind: "unknown", why: e.code ?? e.message }),
        )
        socket.once("secureConnect", () => {
            const cert = socket.getPeerCertificate()
            const described = { issuer: name(cert.issuer), subject: name(cert.subject) }
            if (!socket.authorized)
                return done({ kind: "untrusted", why: String(socket.authorizationError), ...described })
            const mismatch = tls.checkServerIdentity(host, cert)
            if (mismatch) return done({ kind: "untrusted", why: mismatch.message, ...described })
            done({ kind: "trusted" })
        })
    })
}

/** OpenSSL's verdict in words. */
function explain(why: string): string {
    if (/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/.test(why))
        return `it is self-signed (${why})`
    if (/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?)$/.test(why))
        return `its issuer is not one of the runtime's CAs (${why})`
    if (/^CERT_HAS_EXPIRED$/.test(why)) return "it has expired"
    return why
}

/** The warning for an untrusted broker (what was found, why it matters, what to do). */
export function untrustedWarning(
    host: string,
    port: number,
    v: Extract<TrustVerdict, { kind: "untrusted" }>,
): string[] {
    return [
        `warning: the board will not trust the broker's certificate at ${host}:${port} (${explain(v.why)}; certificate ${v.subject}, issued by ${v.issuer}).`,
        `  The DeviceScript runtime checks it against its ${runtimeCaBundle().length} built-in public CAs only and cannot be given another CA, so a self-signed or private-CA`,
        "  certificate makes every TLS connection fail and the board never comes online. Give the broker a certificate from a public CA (e.g. Let's Encrypt)",
        "  for the name in mqtt_host, or use mqtt:// (no TLS) on a network you trust.",
    ]
}

/**
 * A connection failure as a sentence a person can act on. TLS failures in particular
 * arrive as OpenSSL codes; each is turned into what is wrong and which setting to check.
 * Never includes credentials (the URL shown has no user info).
 */
import type { BrokerConfig } from "../config/types.js"

export interface Explained {
    /** Short stable reason, used as a metric label and to group repeated failures. */
    reason: string
    message: string
}

const CONNACK: Record<number, string> = {
    1: "the broker does not accept this MQTT protocol version (try broker.protocolVersion)",
    2: "the broker refused the client id",
    3: "the broker is unavailable",
    4: "the broker refused the user name or password",
    5: "the broker says this client is not authorized",
    134: "the broker refused the user name or password",
    135: "the broker says this client is not authorized",
}

export function explainError(error: Error & { code?: string | number }, broker: BrokerConfig): Explained {
    const code = error.code
    const text = `${code ?? ""} ${error.message}`
    const host = (() => {
        try {
            const u = new URL(broker.url)
            return `${u.hostname}:${u.port || (u.protocol === "mqtts:" ? 8883 : 1883)}`
        } catch {
            return broker.url
        }
    })()
    const ca = broker.tls?.files.ca
        ? `the CA in broker.tls.ca (${broker.tls.files.ca})`
        : "the system's CAs (no broker.tls.ca is set)"
    if (typeof code === "number" && CONNACK[code])
        return { reason: `connack-${code}`, message: `${CONNACK[code]} (CONNACK code ${code})` }
    if (
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE|self[- ]signed certificate|unable to verify|unable to get local issuer/i.test(
            text,
        )
    )
        return {
            reason: "tls-untrusted-broker",
            message: `TLS: the broker's certificate at ${host} does not verify against ${ca} (${code ?? error.message}); use the CA that signed the broker's certificate`,
        }
    if (/CERT_HAS_EXPIRED|certificate has expired|CERT_NOT_YET_VALID/i.test(text))
        return {
            reason: "tls-expired",
            message: `TLS: the broker's certificate at ${host} is expired or not yet valid (${code}); check its dates and this machine's clock`,
        }
    if (/ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i.test(text))
        return {
            reason: "tls-wrong-name",
            message: `TLS: the broker's certificate is not issued for ${host}; connect by the name in the certificate, or set broker.tls.servername`,
        }
    if (/CERTIFICATE_REQUIRED|certificate required|HANDSHAKE_FAILURE/i.test(text))
        return {
            reason: "tls-certificate-required",
            message: `TLS: the broker at ${host} requires a client certificate${broker.tls?.files.cert ? ` and refused ${broker.tls.files.cert}` : "; set broker.tls.cert and broker.tls.key"} (${code ?? error.message})`,
        }
    if (/UNKNOWN_CA|BAD_CERTIFICATE|DECRYPT_ERROR|certificate unknown|CERTIFICATE_UNKNOWN/i.test(text))
        return {
            reason: "tls-client-certificate-refused",
            message: `TLS: the broker at ${host} refused this gateway's client certificate (${broker.tls?.files.cert ?? "none"}): it is not signed by a CA the broker trusts (${code ?? error.message})`,
        }
    if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long/i.test(text))
        return {
            reason: "tls-not-tls",
            message: `TLS: ${host} does not speak TLS; use mqtt:// for a plain listener, or the broker's TLS port`,
        }
    if (code === "ECONNREFUSED")
        return {
            reason: "refused",
            message: `connection refused by ${host}: is the broker running and listening there?`,
        }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN")
        return { reason: "dns", message: `cannot resolve ${host} (${code})` }
    if (code === "ETIMEDOUT" || /connack timeout/i.test(error.message))
        return { reason: "timeout", message: `no answer from ${host} within broker.connectTimeoutMs` }
    if (code === "ECONNRESET" || code === "EPIPE")
        return { reason: "reset", message: `${host} closed the connection (${code})` }
    if (/Keepalive timeout/i.test(error.message))
        return {
            reason: "keepalive",
            message: `no answer from ${host} within the keep-alive: the connection is dead`,
        }
    return {
        reason: typeof code === "string" ? code.toLowerCase() : "error",
        message: `${error.message}${code !== undefined ? ` (${code})` : ""}`,
    }
}

/**
 * What is known before flashing about whether the board will reach its broker: the
 * address it is given, and (for mqtts) whether it will trust the broker's certificate.
 * These are warnings, not refusals: the person may know better (a broker that is not
 * running yet, a name their router resolves).
 */
import { checkBrokerTrust, untrustedWarning, type TrustVerdict } from "./broker-trust.js"

export async function brokerWarnings(
    broker: URL,
    trust: (host: string, port: number) => Promise<TrustVerdict> = checkBrokerTrust,
): Promise<string[]> {
    const host = broker.hostname.replace(/^\[|\]$/g, "")
    const out: string[] = []
    if (/^(localhost|127\.|::1$)/.test(host))
        out.push(
            `warning: the board will look for the broker at ${host}, which is the board itself; use this computer's network address instead`,
        )
    if (/\.local\.?$/i.test(host))
        out.push(
            `warning: the broker's address ${host} is an mDNS (.local) name, and the DeviceScript runtime has no mDNS: the board cannot look it up and will never reach the broker.`,
            `  Give the broker's IP address instead (e.g. --broker ${broker.protocol}//192.168.1.10:${broker.port || (broker.protocol === "mqtts:" ? 8883 : 1883)}), or a name your network's DNS server answers for.`,
        )
    if (broker.protocol === "mqtts:" && !/\.local\.?$/i.test(host)) {
        const port = Number(broker.port || 8883)
        const verdict = await trust(host, port)
        if (verdict.kind === "untrusted") out.push(...untrustedWarning(host, port, verdict))
        else if (verdict.kind === "unknown")
            out.push(
                `note: could not check from here whether the board will trust the broker's certificate at ${host}:${port} (${verdict.why})`,
            )
    }
    return out
}

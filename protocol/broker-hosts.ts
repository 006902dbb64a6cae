/**
 * The broker list of the firmware setting `mqtt_host`: one host, as always, or several
 * nodes of one broker (a cluster, or brokers bridged on the topic root) separated by
 * commas, each with an optional port: `node1.lan,node2.lan:1884,10.0.0.7`. An entry
 * without a port takes `mqtt_port`. The client tries them in turn (docs/firmware.md).
 *
 * An IPv6 address is written in brackets, as in a URL: `[2001:db8::7]:1884`, or `[::1]`
 * for `mqtt_port`. A bare one (two colons or more) is one address on `mqtt_port`, as a
 * single host always was.
 *
 * Pure and inside the DeviceScript subset: the firmware parses its setting with it, and
 * `fieldlink flash`, board profiles and the simulator check the same text the same way.
 */
import { integer, isWholeIn } from "./whole-number.js"

export interface BrokerAddress {
    host: string
    port: number
}

export interface ParsedBrokerHosts {
    /** The good entries, in the order written. */
    brokers: BrokerAddress[]
    /** One sentence per bad entry: which entry, what is wrong, what to write instead. */
    errors: string[]
}

/** Characters no host name or address has: a URL's, a login's, a path's, a space. */
const NOT_IN_HOST = " /@[]?"

/**
 * One entry: its address, or a sentence saying what is wrong (without the entry's name).
 * `defaultPort` is the setting `mqtt_port`.
 */
function parseEntry(entry: string, defaultPort: number): BrokerAddress | string {
    const scheme = entry.indexOf("://")
    if (scheme >= 0) {
        // mqtt://user@host:1883/ → host:1883: say what to write instead of the URL.
        let rest = entry.slice(scheme + 3)
        const slash = rest.indexOf("/")
        if (slash >= 0) rest = rest.slice(0, slash)
        return "is a URL; write the host alone: " + rest.slice(rest.lastIndexOf("@") + 1)
    }
    if (entry.charAt(0) === "[") return parseBracketed(entry, defaultPort)
    const colon = entry.indexOf(":")
    // Two colons or more: a bare IPv6 address, which takes mqtt_port.
    const hasPort = colon >= 0 && entry.indexOf(":", colon + 1) < 0
    const host = hasPort ? entry.slice(0, colon) : entry
    if (host.length === 0) return "has no host; write host:port, like node1.lan:1883"
    const bad = badHostCharacter(host)
    if (bad.length > 0) return "has '" + bad + "' in its host; write host or host:port"
    if (!hasPort) return { host: host, port: defaultPort }
    return withPort(host, host, entry.slice(colon + 1), defaultPort)
}

/** The first character of `host` that no host has, or "". */
function badHostCharacter(host: string): string {
    for (let i = 0; i < NOT_IN_HOST.length; i++) {
        const c = NOT_IN_HOST.charAt(i)
        if (host.indexOf(c) >= 0) return c
    }
    return ""
}

/** `[2001:db8::7]:1884` or `[::1]`: an IPv6 address in brackets, as in a URL. */
function parseBracketed(entry: string, defaultPort: number): BrokerAddress | string {
    const close = entry.indexOf("]")
    if (close < 0) return "has '[' without ']'; write an IPv6 address as [2001:db8::7]:1883"
    const host = entry.slice(1, close)
    if (host.indexOf(":") < 0 || badHostCharacter(host).length > 0)
        return "has no IPv6 address in its brackets; write [2001:db8::7]:1883, or a host name without brackets"
    const rest = entry.slice(close + 1)
    if (rest.length === 0) return { host: host, port: defaultPort }
    if (rest.charAt(0) !== ":") return "has '" + rest + "' after ']'; write [" + host + "]:1883"
    return withPort(host, "[" + host + "]", rest.slice(1), defaultPort)
}

/** `host` on the port written as `portText`, or what to write instead (`shown`: the host as written). */
function withPort(
    host: string,
    shown: string,
    portText: string,
    defaultPort: number,
): BrokerAddress | string {
    // "-1" and "1883.0" are not ports; integer() takes the sign, so refuse it here.
    const port = portText.charAt(0) === "-" ? NaN : integer(portText)
    if (!isWholeIn(port, 1, 65535))
        return (
            "has port '" +
            portText +
            "', expected 1-65535; write " +
            shown +
            ":1883, or " +
            shown +
            " alone for mqtt_port (" +
            defaultPort +
            ")"
        )
    return { host: host, port: port }
}

/**
 * `text`, the setting as written, into its broker addresses, each bad entry named in
 * `errors` and left out. An empty `text` gives no brokers and no errors: the caller
 * says what an empty setting means.
 */
export function parseBrokerHosts(text: string, defaultPort: number): ParsedBrokerHosts {
    const brokers: BrokerAddress[] = []
    const errors: string[] = []
    if (text.trim().length === 0) return { brokers: brokers, errors: errors }
    const entries = text.split(",")
    for (let i = 0; i < entries.length; i++) {
        const entry = entries[i].trim()
        const name = entries.length > 1 ? "entry " + (i + 1) + " " : ""
        if (entry.length === 0) {
            errors.push("entry " + (i + 1) + " is empty; write node1.lan,node2.lan:1884")
            continue
        }
        const parsed = parseEntry(entry, defaultPort)
        if (typeof parsed === "string") errors.push(name + "'" + entry + "' " + parsed)
        else brokers.push(parsed)
    }
    return { brokers: brokers, errors: errors }
}

/** `host:port` of one broker, as logs show it. */
export function brokerAddressText(b: BrokerAddress): string {
    // An IPv6 address in brackets, so that its port stands apart.
    return (b.host.indexOf(":") >= 0 ? "[" + b.host + "]" : b.host) + ":" + b.port
}

/**
 * The broker list of the firmware setting `mqtt_host`: one host, as always, or several
 * nodes of one broker (a cluster, or brokers bridged on the topic root) separated by
 * commas, each with an optional port: `node1.lan,node2.lan:1884,10.0.0.7`. An entry
 * without a port takes `mqtt_port`. The client tries them in turn (docs/firmware.md).
 *
 * An IPv6 address (two colons or more) is one address and takes `mqtt_port`, as a single
 * host always did; an IPv6 node on another port needs a host name.
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
    const colon = entry.indexOf(":")
    // Two colons or more: a bare IPv6 address, which takes mqtt_port.
    const hasPort = colon >= 0 && entry.indexOf(":", colon + 1) < 0
    const host = hasPort ? entry.slice(0, colon) : entry
    if (host.length === 0) return "has no host; write host:port, like node1.lan:1883"
    for (let i = 0; i < NOT_IN_HOST.length; i++) {
        const c = NOT_IN_HOST.charAt(i)
        if (host.indexOf(c) >= 0) return "has '" + c + "' in its host; write host or host:port"
    }
    if (!hasPort) return { host: host, port: defaultPort }
    const portText = entry.slice(colon + 1)
    // "-1" and "1883.0" are not ports; integer() takes the sign, so refuse it here.
    const port = portText.charAt(0) === "-" ? NaN : integer(portText)
    if (!isWholeIn(port, 1, 65535))
        return (
            "has port '" +
            portText +
            "', expected 1-65535; write " +
            host +
            ":1883, or " +
            host +
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
    return b.host + ":" + b.port
}

/**
 * The broker list of the firmware setting `mqtt_host`: one host, as always, or several
 * nodes of one broker (a cluster, or brokers bridged on the topic root) separated by
 * commas, each with an optional port: `node1.lan,node2.lan:1884,10.0.0.7`. An entry
 * without a port takes `mqtt_port`. The client tries them in turn (docs/firmware.md).
 *
 * An IPv6 address is written in brackets when it has a port (`[fd00::7]:1883`); bare, it
 * is one address and takes `mqtt_port`, as a single host always did.
 *
 * Pure and inside the DeviceScript subset: the firmware parses its setting with it, and
 * `fieldlink flash`, board profiles and the simulator check the same text the same way.
 */

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

/** A port written in an entry: whole, 1..65535, else NaN. */
function portNumber(text: string): number {
    if (text.length === 0 || text.length > 5) return NaN
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i)
        if (c < 48 || c > 57) return NaN
    }
    const n = parseInt(text)
    return n >= 1 && n <= 65535 ? n : NaN
}

/** What is wrong with a host name or address as written, or "" when nothing is. */
function hostProblem(host: string): string {
    if (host.length === 0) return "has no host"
    for (let i = 0; i < host.length; i++) {
        const c = host.charAt(i)
        if (c === " " || c === "\t" || c === "/" || c === "@" || c === "[" || c === "]" || c === "?")
            return "has " + JSON.stringify(c) + " in its host"
    }
    return ""
}

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
        const at = rest.lastIndexOf("@")
        if (at >= 0) rest = rest.slice(at + 1)
        return (
            "is a URL; write the host alone: " +
            rest +
            " (mqtt_tls chooses TLS, mqtt_user and mqtt_pass the login)"
        )
    }
    let host = entry
    let portText = ""
    let hasPort = false
    if (entry.charAt(0) === "[") {
        const close = entry.indexOf("]")
        if (close < 0) return "opens a [ it does not close; write an IPv6 address as [fd00::7]:1883"
        host = entry.slice(1, close)
        const after = entry.slice(close + 1)
        if (after.length > 0) {
            if (after.charAt(0) !== ":") return "has text after ]; write [address]:port"
            portText = after.slice(1)
            hasPort = true
        }
    } else {
        const colon = entry.indexOf(":")
        // Two colons or more: a bare IPv6 address, which takes mqtt_port.
        if (colon >= 0 && entry.indexOf(":", colon + 1) < 0) {
            host = entry.slice(0, colon)
            portText = entry.slice(colon + 1)
            hasPort = true
        }
    }
    const problem = hostProblem(host)
    if (problem.length > 0)
        return problem + "; write a host name or address, optionally with :port, like node1.lan:1883"
    const port = hasPort ? portNumber(portText) : defaultPort
    if (isNaN(port)) {
        const shown = host.indexOf(":") >= 0 ? "[" + host + "]" : host
        return (
            (portText.length === 0 ? "ends in : with no port" : "has port " + JSON.stringify(portText)) +
            ", expected a whole number from 1 to 65535; write " +
            shown +
            ":1883, or " +
            shown +
            " alone for mqtt_port (" +
            defaultPort +
            ")"
        )
    }
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
            errors.push(
                "entry " +
                    (i + 1) +
                    " is empty; separate hosts with single commas, like node1.lan,node2.lan:1884",
            )
            continue
        }
        const parsed = parseEntry(entry, defaultPort)
        if (typeof parsed === "string") errors.push(name + JSON.stringify(entry) + " " + parsed)
        else brokers.push(parsed)
    }
    return { brokers: brokers, errors: errors }
}

/** `host:port` of one broker, as logs show it (IPv6 in brackets). */
export function brokerAddressText(b: BrokerAddress): string {
    return (b.host.indexOf(":") >= 0 ? "[" + b.host + "]" : b.host) + ":" + b.port
}

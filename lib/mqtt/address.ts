/** Where a socket to the broker at an mqtt:// or mqtts:// URL goes. */
export interface SocketAddress {
    /** The host as a socket takes it: an IPv6 address without the URL's brackets. */
    host: string
    /** The URL's port, else MQTT's default for the scheme (1883, or 8883 over TLS). */
    port: number
    tls: boolean
}

export function socketAddress(url: URL): SocketAddress {
    const tls = url.protocol === "mqtts:"
    return {
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(url.port) || (tls ? 8883 : 1883),
        tls,
    }
}

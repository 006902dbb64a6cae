// Where a socket to a broker URL goes: the host bare (an IPv6 address without the URL's
// brackets, which a socket refuses), the port or MQTT's default for the scheme.
import test from "ava"
import { socketAddress } from "@fieldlink/lib/mqtt/address"

test("host and port from a broker URL, defaults by scheme, IPv6 without brackets", t => {
    t.deepEqual(socketAddress(new URL("mqtt://broker.lan:1884")), {
        host: "broker.lan",
        port: 1884,
        tls: false,
    })
    t.deepEqual(socketAddress(new URL("mqtt://broker.lan")), { host: "broker.lan", port: 1883, tls: false })
    t.deepEqual(socketAddress(new URL("mqtts://10.0.0.2")), { host: "10.0.0.2", port: 8883, tls: true })
    t.deepEqual(socketAddress(new URL("mqtts://u:p@[fd00::7]:8884")), {
        host: "fd00::7",
        port: 8884,
        tls: true,
    })
    t.deepEqual(socketAddress(new URL("mqtt://[::1]")), { host: "::1", port: 1883, tls: false })
})

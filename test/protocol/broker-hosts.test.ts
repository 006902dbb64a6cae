// The broker list of `mqtt_host` (protocol/broker-hosts.ts): what the firmware connects
// to, in turn, and what `fieldlink flash`, board profiles and the simulator reject.
import test from "ava"
import { brokerAddressText, parseBrokerHosts } from "../../protocol/broker-hosts.js"

const ok = (text: string, port = 1883) => {
    const parsed = parseBrokerHosts(text, port)
    return { brokers: parsed.brokers.map(brokerAddressText), errors: parsed.errors }
}

test("one host, as always: the port is mqtt_port", t => {
    t.deepEqual(parseBrokerHosts("192.168.1.10", 1884), {
        brokers: [{ host: "192.168.1.10", port: 1884 }],
        errors: [],
    })
    t.deepEqual(ok("mqtt.local").brokers, ["mqtt.local:1883"])
    t.deepEqual(ok("broker_1.example-site.lan").brokers, ["broker_1.example-site.lan:1883"])
})

test("a list: in the order written, each with its own port or mqtt_port", t => {
    t.deepEqual(ok("node1.lan,node2.lan:1884,10.0.0.7", 8883), {
        brokers: ["node1.lan:8883", "node2.lan:1884", "10.0.0.7:8883"],
        errors: [],
    })
    // Spaces around the commas are forgiven.
    t.deepEqual(ok(" a , b:2 ").brokers, ["a:1883", "b:2"])
    // A host may be listed twice (e.g. on two ports); both are tried.
    t.deepEqual(ok("a:1883,a:1884").brokers, ["a:1883", "a:1884"])
})

test("IPv6: a bare address (two colons or more) is one host on mqtt_port", t => {
    t.deepEqual(parseBrokerHosts("fd00::7", 1884).brokers, [{ host: "fd00::7", port: 1884 }])
    t.deepEqual(ok("fd00::7,node2.lan:1885").brokers, ["[fd00::7]:1883", "node2.lan:1885"])
})

test("IPv6 in brackets, as in a URL: with its own port, or mqtt_port", t => {
    t.deepEqual(parseBrokerHosts("[fd00::7]:1884,[::1]", 8883).brokers, [
        { host: "fd00::7", port: 1884 },
        { host: "::1", port: 8883 },
    ])
    t.deepEqual(ok("node1.lan,[2001:db8::7]:1885").brokers, ["node1.lan:1883", "[2001:db8::7]:1885"])
    const said = (text: string) => ok(text).errors[0]
    t.is(
        said("[fd00::7:1884"),
        "'[fd00::7:1884' has '[' without ']'; write an IPv6 address as [2001:db8::7]:1883",
    )
    t.regex(
        said("[node1.lan]:1884"),
        /has no IPv6 address in its brackets; write \[2001:db8::7\]:1883, or a host name without brackets/,
    )
    t.regex(said("[]"), /has no IPv6 address in its brackets/)
    t.is(said("[::1]1884"), "'[::1]1884' has '1884' after ']'; write [::1]:1883")
    t.is(
        said("[::1]:0"),
        "'[::1]:0' has port '0', expected 1-65535; write [::1]:1883, or [::1] alone for mqtt_port (1883)",
    )
    t.regex(said("fd00::7]:1884"), /has '\]' in its host/)
})

test("a bad port names the entry and says what to write", t => {
    const { brokers, errors } = ok("node1.lan,node2.lan:99999")
    t.deepEqual(brokers, ["node1.lan:1883"])
    t.deepEqual(errors, [
        "entry 2 'node2.lan:99999' has port '99999', expected 1-65535; write node2.lan:1883, or node2.lan alone for mqtt_port (1883)",
    ])
    t.regex(ok("a:x").errors[0], /^'a:x' has port 'x', expected 1-65535/)
    for (const bad of ["a:0", "a:-1", "a:1883.0", "a:65536", "a: 1883"])
        t.regex(ok(bad).errors[0], /has port '.*', expected 1-65535; write a:1883, or a alone/, bad)
    t.regex(ok("a:").errors[0], /^'a:' has port '', expected 1-65535; write a:1883, or a alone/)
})

test("a URL, credentials or a path: named, with the host to write instead", t => {
    t.deepEqual(ok("mqtt://user:pw@192.168.1.10:1883/").errors, [
        "'mqtt://user:pw@192.168.1.10:1883/' is a URL; write the host alone: 192.168.1.10:1883",
    ])
    t.regex(ok("node1,mqtts://node2:8883").errors[0], /^entry 2 .* write the host alone: node2:8883$/)
    t.regex(ok("user@host").errors[0], /has '@' in its host; write host or host:port/)
    t.regex(ok("host/x").errors[0], /has '\/' in its host/)
    t.regex(ok("my broker").errors[0], /has ' ' in its host/)
    t.regex(ok(":1883").errors[0], /^':1883' has no host; write host:port/)
})

test("empty entries are named by position; an empty setting is left to the caller", t => {
    t.deepEqual(ok("a,,b"), {
        brokers: ["a:1883", "b:1883"],
        errors: ["entry 2 is empty; write node1.lan,node2.lan:1884"],
    })
    t.regex(ok("a,").errors[0], /^entry 2 is empty/)
    t.deepEqual(ok(""), { brokers: [], errors: [] })
    t.deepEqual(ok("   "), { brokers: [], errors: [] })
})

// Warnings before flashing about the broker the board is given: an mDNS (.local) name
// the runtime cannot resolve, and an mqtts broker whose certificate the runtime's
// built-in CA list does not trust (checked against a real TLS server with certificates
// made here by openssl).
import test, { type ExecutionContext } from "ava"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import tls from "node:tls"
import { promisify } from "node:util"
import { checkBrokerTrust, runtimeCaBundle } from "../../flash/broker-trust.js"
import { brokerWarnings } from "../../flash/broker-warnings.js"
import { findBinary } from "../support/binaries.js"
import { removeOnExit } from "../support/cleanup.js"
import { freePort } from "../support/wait.js"
import { makeStandIns, runFieldlink } from "./support/standins.js"

const run = promisify(execFile)
const openssl = findBinary("openssl")
const withOpenssl = openssl ? test.serial : test.skip

test("an mDNS (.local) broker name is warned about, with the IP address form to use", async t => {
    const lines = await brokerWarnings(new URL("mqtt://greenhouse-pi.local:1883"))
    t.regex(
        lines.join("\n"),
        /warning: the broker's address greenhouse-pi\.local is an mDNS \(\.local\) name, and the DeviceScript runtime has no mDNS/,
    )
    t.regex(lines.join("\n"), /--broker mqtt:\/\/192\.168\.1\.10:1883/)
    t.deepEqual(await brokerWarnings(new URL("mqtt://192.168.1.10:1883")), [], "an IP address is fine")
})

test("the runtime's CA list is the one shipped with the runtime (121 public CAs)", t => {
    t.is(runtimeCaBundle().length, 121)
})

async function pki(t: ExecutionContext) {
    const dir = mkdtempSync(join(tmpdir(), "fieldlink-trust-"))
    removeOnExit(dir)
    const p = (n: string) => join(dir, n)
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    await run(openssl!, [
        "req",
        "-x509",
        ...ec,
        "-days",
        "2",
        "-keyout",
        p("ca.key"),
        "-out",
        p("ca.pem"),
        "-subj",
        "/CN=private-ca",
    ])
    await run(openssl!, [
        "req",
        ...ec,
        "-keyout",
        p("broker.key"),
        "-out",
        p("broker.csr"),
        "-subj",
        "/CN=broker",
    ])
    await run("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1\\n' > '${p("ext")}'`])
    await run(openssl!, [
        "x509",
        "-req",
        "-in",
        p("broker.csr"),
        "-CA",
        p("ca.pem"),
        "-CAkey",
        p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        p("broker.pem"),
        "-extfile",
        p("ext"),
    ])
    const server = tls.createServer(
        { key: readFileSync(p("broker.key")), cert: readFileSync(p("broker.pem")) },
        socket => socket.end(),
    )
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve))
    t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
    return { port: (server.address() as { port: number }).port, ca: readFileSync(p("ca.pem"), "utf8") }
}

withOpenssl(
    "a broker with a private-CA certificate is not trusted by the runtime's CA list; with that CA it would be",
    async t => {
        const { port, ca } = await pki(t)
        const verdict = await checkBrokerTrust("127.0.0.1", port)
        t.is(verdict.kind, "untrusted")
        if (verdict.kind === "untrusted") {
            t.regex(
                verdict.why,
                /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN)/,
            )
            t.regex(verdict.issuer, /CN=private-ca/)
        }
        // The same decision with the private CA in the list: the method can say yes.
        t.deepEqual(await checkBrokerTrust("127.0.0.1", port, { ca: [ca] }), { kind: "trusted" })
        // A certificate for another name is refused too (the board checks the host name).
        const wrongName = await checkBrokerTrust("localhost", port, { ca: [ca] })
        t.is(wrongName.kind, "untrusted")
        const closed = await freePort()
        t.deepEqual(await checkBrokerTrust("127.0.0.1", closed), { kind: "unknown", why: "ECONNREFUSED" })
    },
)

withOpenssl(
    "fieldlink flash warns before writing when the board would not trust an mqtts broker",
    async t => {
        const { port } = await pki(t)
        const s = makeStandIns(t)
        const r = await runFieldlink(
            [
                "flash",
                "--board",
                "seeed_xiao_esp32c3",
                "--runtime-image",
                s.runtime,
                "--wifi-ssid",
                "x",
                "--broker",
                `mqtts://127.0.0.1:${port}`,
                "--device-id",
                "tls-1",
                "--output",
                join(s.dir, "o.bin"),
            ],
            s.env,
        )
        t.is(r.code, 0, r.stderr)
        t.regex(
            r.stdout,
            new RegExp(
                `warning: the board will not trust the broker's certificate at 127\\.0\\.0\\.1:${port} \\(`,
            ),
        )
        t.regex(
            r.stdout,
            /\(its issuer is not one of the runtime.s CAs \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); certificate CN=broker, issued by CN=private-ca\)/,
        )
        t.regex(
            r.stdout,
            /cannot be given another CA[\s\S]*public CA \(e\.g\. Let's Encrypt\)[\s\S]*mqtt:\/\/ \(no TLS\)/,
        )
        t.true(
            r.stdout.indexOf("warning: the board will not trust") < r.stdout.indexOf("image:"),
            "said before the image is made",
        )
    },
)

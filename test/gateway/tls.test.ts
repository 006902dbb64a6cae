// TLS with a CA the test makes (openssl): a mosquitto mqtts listener that requires
// client certificates. The gateway with the CA and its certificate connects; with a
// wrong CA, or without a certificate, it is refused with an error that says what to
// fix; no credential ever shows in the logs.
import test, { type ExecutionContext } from "ava"
import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"
import { findBinary } from "../support/binaries.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness, witnessAvailable } from "../support/witness.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"
import { socatAvailable, startDevice } from "../support/pty.js"

const run = promisify(execFile)
const openssl = findBinary("openssl")
const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) && openssl ? test : test.skip
if (!ready.every(a => a.ok) || !openssl)
    test("gateway TLS tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ") + (openssl ? "" : " openssl missing")))

async function makeCa(dir: string, name: string) {
    const key = path.join(dir, `${name}.key`)
    const cert = path.join(dir, `${name}.pem`)
    await run(openssl!, [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        key,
        "-out",
        cert,
        "-subj",
        `/CN=${name}`,
    ])
    return { key, cert }
}

async function issue(dir: string, ca: { key: string; cert: string }, name: string, extension: string) {
    const key = path.join(dir, `${name}.key`)
    const csr = path.join(dir, `${name}.csr`)
    const cert = path.join(dir, `${name}.pem`)
    const ext = path.join(dir, `${name}.ext`)
    await run(openssl!, [
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        `/CN=${name}`,
    ])
    await run("sh", ["-c", `printf '%s\\n' '${extension}' > '${ext}'`])
    await run(openssl!, [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca.cert,
        "-CAkey",
        ca.key,
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        cert,
        "-extfile",
        ext,
    ])
    return { key, cert }
}

async function pki(t: ExecutionContext) {
    const dir = tempDir(t, "fieldlink-pki-")
    const ca = await makeCa(dir, "test-ca")
    const other = await makeCa(dir, "other-ca")
    const server = await issue(dir, ca, "broker", "subjectAltName=IP:127.0.0.1")
    const client = await issue(dir, ca, "gateway", "extendedKeyUsage=clientAuth")
    return { dir, ca, other, server, client }
}

const PASSWORD = "hunter2-do-not-log"

brokerTest(
    "mqtts with a CA and a client certificate; a wrong CA and a missing certificate are refused clearly; no credentials in the logs",
    async t => {
        const p = await pki(t)
        const broker = await startMosquitto({
            tls: {
                certFile: p.server.cert,
                keyFile: p.server.key,
                caFile: p.ca.cert,
                requireCertificate: true,
            },
        })
        t.teardown(() => broker.stop())
        const witness = await startWitness(broker.url, "fieldlink/#")
        t.teardown(() => witness.stop())
        const dir = tempDir(t)
        const device = await startDevice(dir, "tls1")
        t.teardown(() => device.stop())

        const gatewayWith = async (name: string, tls: Record<string, unknown>) => {
            const config = await testConfig(dir, broker.tlsUrl!, [{ path: device.path }], {
                gateway: { id: name, stateDir: path.join(dir, name) },
            })
            ;(config.broker as Record<string, unknown>).tls = tls
            ;(config.broker as Record<string, unknown>).username = "gateway"
            ;(config.broker as Record<string, unknown>).password = { env: "TEST_MQTT_PASSWORD" }
            return writeConfig(dir, config, `${name}.json`)
        }
        process.env.TEST_MQTT_PASSWORD = PASSWORD // inherited by the gateway child process

        const good = startGateway(
            t,
            await gatewayWith("good", { ca: p.ca.cert, cert: p.client.cert, key: p.client.key }),
        )
        await witness.waitFor(m => m.topic === "fieldlink/gateways/good/status" && m.text === "online", 30000)
        await good.waitForPorts(1)
        await device.write("hello id=secure\n")
        await device.write('{"seq":1}\n')
        t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/secure/telemetry")).text, '{"seq":1}')
        t.is(await good.stop(), 0)

        const wrongCa = startGateway(
            t,
            await gatewayWith("wrongca", { ca: p.other.cert, cert: p.client.cert, key: p.client.key }),
        )
        const untrusted = await wrongCa.waitForLog(l => l.reason === "tls-untrusted-broker")
        t.regex(untrusted.msg, /does not verify against the CA in broker\.tls\.ca \(.*other-ca\.pem\)/)
        t.log(untrusted.msg)

        const noCert = startGateway(t, await gatewayWith("nocert", { ca: p.ca.cert }))
        const refused = await noCert.waitForLog(
            l => l.reason === "tls-certificate-required" || l.reason === "reset",
        )
        t.log(refused.msg)
        t.is(refused.reason, "tls-certificate-required")
        t.regex(refused.msg, /requires a client certificate; set broker\.tls\.cert and broker\.tls\.key/)
        t.false(
            witness
                .messages()
                .some(m => /gateways\/(wrongca|nocert)\/status/.test(m.topic) && m.text === "online"),
        )

        for (const gw of [good, wrongCa, noCert]) {
            await gw.stop()
            const output = gw.cli.output()
            t.false(output.includes(PASSWORD), "password in the log")
            t.false(output.includes("PRIVATE KEY"), "key material in the log")
        }
    },
)

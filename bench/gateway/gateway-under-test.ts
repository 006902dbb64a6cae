/**
 * Which gateway the bench measures. By default the one a user runs: the package's
 * esbuild bundle (what `npm install -g` puts on a Pi; it loads less than the checkout's
 * compiled files) started with the shipped systemd unit's environment (its V8
 * young-generation size among it). `--dist` measures the checkout's compiled files with
 * Node's defaults instead: names in a `--profile` then match the sources.
 */
import path from "node:path"
import { fileURLToPath } from "node:url"
import { serviceEnvironment } from "@fieldlink/test-support/service-unit"
// @ts-expect-error: a plain JavaScript build script, without declarations
import { stageBundleForTrial } from "../../scripts/bundle-gateway.mjs"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))

export interface GatewayUnderTest {
    /** The `fieldlink-gateway` script to run with Node. */
    bin: string
    /** Variables added to the bench's environment for it. */
    env: Record<string, string>
    /** How it was started, for the table's footnote. */
    description: string
}

export async function gatewayUnderTest(dir: string, dist: boolean): Promise<GatewayUnderTest> {
    if (dist)
        return {
            bin: path.join(ROOT, "gateway/bin/fieldlink-gateway.js"),
            env: {},
            description: "the checkout's compiled gateway (gateway/dist), Node's defaults",
        }
    const staged = path.join(dir, "gateway-package")
    await stageBundleForTrial(staged)
    const env = serviceEnvironment()
    const settings = Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")
    return {
        bin: path.join(staged, "bin/fieldlink-gateway.js"),
        env,
        description: `the gateway as shipped: the package's bundle, with the systemd unit's environment (${settings})`,
    }
}

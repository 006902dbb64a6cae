/**
 * `fieldlink broker-check URL [URL …]`: runs the semantics fieldlink relies on against a
 * broker, or a cluster given one URL per node, and prints what held (sim/broker-check).
 * Exits 1 when a contract fieldlink needs is broken, 2 on a usage mistake.
 */
import { runBrokerCheck, DEFAULT_CHECK_ROOT } from "@fieldlink/sim/broker-check/run"
import { formatReport } from "@fieldlink/sim/broker-check/table"
import { exitCodeFor } from "@fieldlink/sim/broker-check/verdicts"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { parseFlags } from "@fieldlink/lib/cli/flags"
import { topicNameError } from "@fieldlink/protocol/mqtt"

const HELP = `usage: fieldlink broker-check [--root TOPIC] URL [URL …]

Checks that a broker keeps what fieldlink relies on: retained status on exact and
wildcard subscriptions (and across nodes), wills on a closed and on a silent socket,
birth before telemetry, QoS 1, the largest payload; and reports what it offers beyond
that: persistent sessions, per-client ACLs, $share/ subscriptions. Give one URL per
node of a cluster (mqtt://user:pass@host:1883, mqtts://…). Takes about 15 s. Every
retained message it writes is cleared before it ends.

  --root TOPIC   topic root the probes write under (default ${DEFAULT_CHECK_ROOT}); use
                 your fleet's root when the broker's ACLs allow only that

Exits 1 when a contract fieldlink needs is broken. See docs/scale-out.md.`

const SPEC = { root: { type: "string" } } as const

export async function brokerCheckCommand(argv: string[]): Promise<number> {
    const flags = parseFlags("broker-check", argv, SPEC)
    if (flags.values.help) {
        console.log(HELP)
        return 0
    }
    if (flags.positionals.length === 0)
        throw new UsageError(
            "fieldlink broker-check: give at least one broker URL, e.g. fieldlink broker-check mqtt://localhost:1883",
        )
    const urls = flags.positionals.map(brokerUrl)
    const root = flags.values.root === undefined ? DEFAULT_CHECK_ROOT : String(flags.values.root)
    const rootError =
        root.includes("+") || root.includes("#") || root.endsWith("/")
            ? "it has a wildcard or ends with /"
            : topicNameError(root)
    if (rootError)
        throw new UsageError(`fieldlink broker-check: --root '${root}' is not a topic root: ${rootError}`)
    console.error(`checking ${urls.join(", ")} (about 15 s)…`)
    const result = await runBrokerCheck({ urls, root })
    console.log(formatReport(urls.map(withoutPassword), result.verdicts, result.elapsedMs))
    return exitCodeFor(result.verdicts)
}

function brokerUrl(raw: string): string {
    let url: URL
    try {
        url = new URL(raw)
    } catch {
        throw new UsageError(
            `fieldlink broker-check: '${raw}' is not a URL; expected one like mqtt://host:1883`,
        )
    }
    if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:")
        throw new UsageError(
            `fieldlink broker-check: '${raw}' must use mqtt:// or mqtts://, not ${url.protocol}//`,
        )
    if (!url.hostname) throw new UsageError(`fieldlink broker-check: '${raw}' has no host`)
    return raw
}

/** The report names the nodes, never their passwords. */
function withoutPassword(raw: string): string {
    const url = new URL(raw)
    if (url.password) url.password = "***"
    return url.toString().replace(/\/$/, "")
}

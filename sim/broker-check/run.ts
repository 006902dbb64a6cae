/**
 * `runBrokerCheck`: runs every probe against the given nodes (the slow will probes
 * alongside the rest), judges what they saw, and clears every retained message it wrote
 * on every node, whatever happened.
 */
import { randomBytes } from "node:crypto"
import { Connections } from "./clients.js"
import * as probes from "./probes.js"
import { judge, type Observation, type Verdict } from "./verdicts.js"

export interface BrokerCheckOptions {
    /** One URL per node of one broker (or cluster). */
    urls: readonly string[]
    /** Topic root the probes write under. Default "fieldlink-check". */
    root?: string
}

export interface BrokerCheckResult {
    verdicts: Verdict[]
    elapsedMs: number
    /** Retained topics the run wrote and cleared. */
    cleared: string[]
}

export const DEFAULT_CHECK_ROOT = "fieldlink-check"

export async function runBrokerCheck(options: BrokerCheckOptions): Promise<BrokerCheckResult> {
    if (options.urls.length === 0) throw new Error("broker check: no broker URL given")
    const started = Date.now()
    const connections = new Connections()
    const context: probes.ProbeContext = {
        urls: options.urls,
        root: options.root ?? DEFAULT_CHECK_ROOT,
        run: `flc${randomBytes(4).toString("hex")}`,
        connections,
        retained: new Set(),
    }
    try {
        const wills = Promise.all([probes.willOnClose(context), probes.willOnSilence(context)])
        // Handled here too: when a quick probe fails first, the error to report is that one.
        wills.catch(() => undefined)
        // The quick probes run one after another so their timings do not disturb each other.
        const observations: Observation[] = []
        observations.push(...(await probes.retained(context)))
        observations.push(await probes.birthOrder(context))
        observations.push(await probes.qos1(context))
        observations.push(await probes.sessionResume(context))
        observations.push(await probes.largestPayload(context))
        observations.push(await probes.aclSubtree(context))
        observations.push(await probes.sharedSubscription(context))
        const [closed, silent] = await wills
        observations.splice(3, 0, closed, silent)
        return {
            verdicts: observations.map(judge),
            elapsedMs: Date.now() - started,
            cleared: [...context.retained],
        }
    } finally {
        await connections.closeAll()
        await clearRetained(context)
    }
}

/** Publishes an empty retained message to every topic the run wrote, on every node. */
async function clearRetained(context: probes.ProbeContext): Promise<void> {
    if (context.retained.size === 0) return
    const cleaner = new Connections()
    try {
        await Promise.all(
            context.urls.map(async (url, i) => {
                const probe = await cleaner.open(url, `${context.run}-clean-${i}`)
                await Promise.all(
                    [...context.retained].map(topic =>
                        probe.client.publishAsync(topic, "", { qos: 1, retain: true }),
                    ),
                )
                await probe.client.endAsync()
            }),
        )
    } finally {
        await cleaner.closeAll()
    }
}

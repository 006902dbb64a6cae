/** The broker check's report: one row per check, what it means for fieldlink under it. Pure. */
import type { Verdict } from "./verdicts.js"

const RESULT: Record<Verdict["outcome"], string> = { pass: "pass", fail: "FAIL", note: "note", "n/a": "n/a" }

export function formatReport(
    urls: readonly string[],
    verdicts: readonly Verdict[],
    elapsedMs: number,
): string {
    const titleWidth = Math.max("check".length, ...verdicts.map(v => v.title.length))
    const row = (title: string, result: string, seen: string) =>
        `${title.padEnd(titleWidth)}  ${result.padEnd(6)}  ${seen}`
    const lines = [
        `broker check of ${urls.join(", ")} (${(elapsedMs / 1000).toFixed(1)} s)`,
        "",
        row("check", "result", "seen"),
    ]
    for (const v of verdicts) {
        lines.push(row(v.title, RESULT[v.outcome], v.seen))
        if (v.meaning) lines.push(`${"".padEnd(titleWidth + 10)}→ ${v.meaning}`)
    }
    const broken = verdicts.filter(v => v.contract && v.outcome === "fail")
    lines.push("")
    lines.push(
        broken.length === 0
            ? "every contract fieldlink needs holds on this broker"
            : `${broken.length} contract${broken.length === 1 ? "" : "s"} fieldlink needs ${broken.length === 1 ? "is" : "are"} broken: ${broken.map(v => v.id).join(", ")} (see docs/scale-out.md)`,
    )
    return lines.join("\n")
}

/**
 * Where the board host's time goes: a V8 CPU profile (`node --cpu-prof`) reduced to
 * self time per part of the stack (the VM's WebAssembly, its emscripten glue, jacdac-ts,
 * our VM host, sockets, timers, GC) and the functions that cost most. Pure apart from
 * reading the file.
 */
import { readFileSync } from "node:fs"

interface ProfileNode {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
    nodes: ProfileNode[]
    samples: number[]
    timeDeltas: number[]
}

/** The first rule that matches names the part; order matters. */
const PARTS: Array<[string, (frame: ProfileNode["callFrame"]) => boolean]> = [
    ["(idle)", f => f.functionName === "(idle)"],
    ["(garbage collector)", f => f.functionName === "(garbage collector)"],
    ["(program: native, outside JS)", f => f.functionName === "(program)"],
    ["VM: WebAssembly", f => f.url.startsWith("wasm://") || /^\$|^wasm-function/.test(f.functionName)],
    // The profiler's own work, while it collects samples through the inspector session.
    ["(profiler)", f => f.url === "node:inspector" || (f.functionName === "dispatch" && f.url === "")],
    // bundle.ts evaluates the VM module under "<cli bundle>#devicescript-vm" ("#" URL-encoded).
    ["VM: emscripten glue", f => /(#|%23)devicescript-vm/.test(f.url)],
    ["jacdac-ts", f => f.url.includes("jacdac-ts")],
    ["devs-host (our VM host)", f => f.url.includes("/devs-host/")],
    ["sim (fleet, waveforms)", f => f.url.includes("/sim/")],
    [
        "sockets and streams (node)",
        f => /node:(net|stream|internal\/(stream|net)|internal\/streams)/.test(f.url),
    ],
    ["timers (node)", f => /node:(timers|internal\/timers)/.test(f.url)],
    ["other node internals", f => f.url.startsWith("node:")],
    ["other", () => true],
]

export interface ProfileSummary {
    totalMs: number
    parts: Array<{ name: string; ms: number }>
    functions: Array<{ name: string; part: string; ms: number }>
}

function partOf(frame: ProfileNode["callFrame"]): string {
    return PARTS.find(([, test]) => test(frame))![0]
}

function shortUrl(url: string): string {
    const tail = url.split(/[\\/]/).slice(-2).join("/")
    return tail.length > 0 ? tail : url
}

/** Self time of one or more profiles (one per worker thread), added up. */
export function summariseProfile(profiles: CpuProfile | CpuProfile[], top = 15): ProfileSummary {
    const selfUs = new Map<ProfileNode, number>()
    for (const profile of Array.isArray(profiles) ? profiles : [profiles]) {
        const byId = new Map(profile.nodes.map(node => [node.id, node]))
        profile.samples.forEach((id, i) => {
            const node = byId.get(id)!
            selfUs.set(node, (selfUs.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0))
        })
    }
    const parts = new Map<string, number>()
    const functions = new Map<string, { part: string; us: number }>()
    let total = 0
    for (const [node, us] of selfUs) {
        const frame = node.callFrame
        const part = partOf(frame)
        total += us
        parts.set(part, (parts.get(part) ?? 0) + us)
        const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
        const entry = functions.get(name) ?? { part, us: 0 }
        entry.us += us
        functions.set(name, entry)
    }
    return {
        totalMs: total / 1000,
        parts: [...parts].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms),
        functions: [...functions]
            .map(([name, f]) => ({ name, part: f.part, ms: f.us / 1000 }))
            .sort((a, b) => b.ms - a.ms)
            .slice(0, top),
    }
}

export function readProfile(file: string): CpuProfile {
    return JSON.parse(readFileSync(file, "utf8")) as CpuProfile
}

/** `cpuMs`: the CPU time the process used over the profiled window, measured apart. */
export function renderProfile(summary: ProfileSummary, cpuMs: number): string {
    const busy = summary.parts.filter(p => p.name !== "(idle)").reduce((a, p) => a + p.ms, 0)
    const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)}%`.padStart(6)
    const out = [
        `self time by part (${(busy / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s profiled; % of busy)`,
    ]
    // Seen on a quiet machine: samples of a busy thread recorded as "(idle)", so the
    // profile sees less than process.cpuUsage does. The shares are then of what it saw.
    if (busy < 0.8 * cpuMs) {
        out.push(
            `  (the process used ${(cpuMs / 1000).toFixed(1)} s of CPU: the profiler attributed only part of it; read the shares with care)`,
        )
    }
    for (const p of summary.parts) {
        if (p.name === "(idle)") continue
        out.push(`  ${pct(p.ms)}  ${(p.ms / 1000).toFixed(2).padStart(7)} s  ${p.name}`)
    }
    out.push("", "costliest functions (self time)")
    for (const f of summary.functions) {
        if (f.name.startsWith("(idle)")) continue
        out.push(`  ${pct(f.ms)}  ${f.name}  [${f.part}]`)
    }
    return out.join("\n")
}

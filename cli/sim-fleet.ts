/**
 * `fieldlink sim`'s fleet flags: how many boards (the whole fleet), which part of it this
 * machine runs (`--shard K/N`), over how many worker threads (`--workers N`), and whether
 * this process can hold them (file descriptors, local ports, memory).
 */
import os from "node:os"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { type ParsedFlags, wholeFlag } from "@fieldlink/lib/cli/flags"
import { idError } from "@fieldlink/protocol/mqtt"
import { uniformBoards, type BoardSpec } from "@fieldlink/sim/fleet"
import { fleetLimitProblem, readHostLimits, type HostLimits } from "@fieldlink/sim/workers/limits"
import { describeIds, parseShard, type Shard, shardRange } from "@fieldlink/sim/workers/plan"
import type { WorkerHealth } from "@fieldlink/sim/workers/pool"

/** A fleet (all shards together) larger than this is a typo. */
export const MAX_FLEET = 100_000
/** More threads than this is never one per core. */
export const MAX_WORKERS = 256

export interface FleetPlan {
    /** The whole fleet, all shards. */
    fleet: number
    shard?: Shard
    /** The boards this process runs. */
    boards: BoardSpec[]
    workers: number
}

export interface FleetFlagContext {
    idPrefix: string
    keepAliveSeconds: number
    intervalMs: number
    /** The broker runs in this process. */
    embeddedBroker: boolean
    /** For tests: the host's limits instead of this machine's. */
    limits?: HostLimits
}

export function fleetPlan(flags: ParsedFlags, c: FleetFlagContext): FleetPlan {
    const fleet = wholeFlag("sim", flags, "boards", 3, 0, MAX_FLEET)
    const prefixProblem = idError(`${c.idPrefix}-${fleet}`)
    if (prefixProblem)
        throw new UsageError(
            `fieldlink sim: --id-prefix '${c.idPrefix}' does not make valid device ids: ${prefixProblem}`,
        )
    let shard: Shard | undefined
    if (flags.values.shard !== undefined) {
        const parsed = parseShard(String(flags.values.shard), fleet)
        if (typeof parsed === "string") throw new UsageError(`fieldlink sim: --shard ${parsed}`)
        shard = parsed
    }
    const range = shard ? shardRange(fleet, shard) : { first: 1, last: fleet }
    const boards = uniformBoards(range.last, c.idPrefix, c.keepAliveSeconds, c.intervalMs).slice(
        range.first - 1,
    )
    const workers = Math.min(
        wholeFlag("sim", flags, "workers", os.availableParallelism(), 1, MAX_WORKERS),
        Math.max(1, boards.length),
    )
    const problem = fleetLimitProblem(
        { boards: boards.length, workers, embeddedBroker: c.embeddedBroker },
        c.limits ?? readHostLimits(),
    )
    if (problem) throw new UsageError(`fieldlink sim: ${problem}`)
    return { fleet, shard, boards, workers }
}

/** `sim-1 … sim-1000 (shard 1/2 of a fleet of 2000) on 2 workers`. */
export function describePlan(p: FleetPlan): string {
    const ids = describeIds(p.boards.map(b => b.deviceId))
    const shard = p.shard ? ` (shard ${p.shard.index}/${p.shard.count} of a fleet of ${p.fleet})` : ""
    return `${p.boards.length} board(s) ${ids}${shard} on ${p.workers} worker thread(s)`
}

/** `workers: 1: 500/500 running, loop p99 12 ms · 2: …`: the live view's line about the threads. */
export function describeHealth(health: WorkerHealth[]): string {
    return (
        "workers: " +
        health
            .map(
                h =>
                    `${h.worker}: ${h.state === "running" ? `${h.running}/${h.boards} running, loop p99 ${h.loopP99Ms.toFixed(0)} ms` : h.state}`,
            )
            .join(" · ")
    )
}

/**
 * How a fleet is cut up: into shards (one per machine, `--shard K/N`) and, inside one
 * process, into workers (one per core, `--workers N`). Pure.
 *
 * Both cuts are contiguous ranges of the fleet's board numbers, so a board's id says
 * which shard runs it, and the shards of one fleet never share an id: shard K of N runs
 * boards floor((K-1)·B/N)+1 … floor(K·B/N) of B.
 */

/** `--shard K/N`: this process runs the K-th of N parts of the fleet (1-based). */
export interface Shard {
    index: number
    count: number
}

/** Board numbers first … last (1-based, inclusive); empty when last < first. */
export interface BoardRange {
    first: number
    last: number
}

/** At most this many shards: a CI matrix of thousands of machines is a typo. */
export const MAX_SHARDS = 1000

/**
 * Parses `K/N`; a sentence naming what is wrong otherwise (the caller prefixes the flag).
 * `boards` is the whole fleet: each shard must get at least one board.
 */
export function parseShard(text: string, boards: number): Shard | string {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
    if (!m) return `expects K/N (this machine runs part K of N, e.g. 2/4), got '${text}'`
    const index = Number(m[1])
    const count = Number(m[2])
    if (count < 1 || count > MAX_SHARDS)
        return `expects N (the number of shards) from 1 to ${MAX_SHARDS}, got '${text}'`
    if (index < 1 || index > count)
        return `expects K from 1 to N (${count}): shards are numbered 1/${count} … ${count}/${count}, got '${text}'`
    if (boards < count)
        return `'${text}' cuts a fleet of ${boards} board(s) into ${count} shards: some would have no board; use at most ${boards} shards or more --boards`
    return { index, count }
}

/** The board numbers shard `s` runs out of a fleet of `boards`. */
export function shardRange(boards: number, s: Shard): BoardRange {
    return {
        first: Math.floor(((s.index - 1) * boards) / s.count) + 1,
        last: Math.floor((s.index * boards) / s.count),
    }
}

/**
 * Splits `items` (in order) into at most `workers` contiguous parts whose sizes differ by
 * at most one; never an empty part (fewer items than workers gives fewer parts).
 */
export function splitAcross<T>(items: readonly T[], workers: number): T[][] {
    if (!Number.isInteger(workers) || workers < 1)
        throw new RangeError(`workers is ${workers}: expected a whole number of at least 1.`)
    const parts = Math.min(workers, items.length)
    return Array.from({ length: parts }, (_, k) =>
        items.slice(Math.floor((k * items.length) / parts), Math.floor(((k + 1) * items.length) / parts)),
    )
}

/** `sim-7 … sim-12`, `sim-7`, or `no boards`: how a range of ids reads in a message. */
export function describeIds(ids: readonly string[]): string {
    if (ids.length === 0) return "no boards"
    return ids.length === 1 ? ids[0] : `${ids[0]} … ${ids.at(-1)}`
}

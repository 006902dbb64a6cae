// How a fleet is cut into shards and workers, and what bounds one process: pure functions.
import test from "ava"
import { describeIds, parseShard, shardRange, splitAcross } from "../../sim/workers/plan.js"
import {
    BOARD_RSS_BYTES,
    fleetLimitProblem,
    parseOpenFiles,
    parsePortRange,
    RESERVED_FDS,
} from "../../sim/workers/limits.js"

test("the shards of a fleet are disjoint, in order, and together cover it", t => {
    for (const boards of [1, 2, 3, 7, 100, 1999, 5000])
        for (const count of [1, 2, 3, 4, 7].filter(n => n <= boards)) {
            const seen: number[] = []
            for (let index = 1; index <= count; index++) {
                const r = shardRange(boards, { index, count })
                t.true(r.last >= r.first, `shard ${index}/${count} of ${boards} is empty`)
                for (let n = r.first; n <= r.last; n++) seen.push(n)
            }
            t.deepEqual(
                seen,
                Array.from({ length: boards }, (_, i) => i + 1),
                `${count} shards of ${boards}`,
            )
        }
    t.deepEqual(shardRange(5, { index: 1, count: 2 }), { first: 1, last: 2 })
    t.deepEqual(shardRange(5, { index: 2, count: 2 }), { first: 3, last: 5 })
})

test("--shard values are read, and mistakes named with what is expected", t => {
    t.deepEqual(parseShard("2/4", 100), { index: 2, count: 4 })
    t.deepEqual(parseShard(" 1 / 1 ", 3), { index: 1, count: 1 })
    t.regex(parseShard("2", 10) as string, /expects K\/N .*got '2'/)
    t.regex(parseShard("a/b", 10) as string, /expects K\/N .*got 'a\/b'/)
    t.regex(parseShard("-1/2", 10) as string, /expects K\/N/)
    t.regex(parseShard("1/0", 10) as string, /N \(the number of shards\) from 1 to 1000, got '1\/0'/)
    t.regex(parseShard("0/2", 10) as string, /K from 1 to N \(2\).*got '0\/2'/)
    t.regex(parseShard("3/2", 10) as string, /K from 1 to N \(2\).*got '3\/2'/)
    t.regex(parseShard("1/4", 3) as string, /fleet of 3 board\(s\) into 4 shards: some would have no board/)
})

test("boards are split into contiguous parts, sizes within one, never an empty part", t => {
    t.deepEqual(splitAcross([1, 2, 3, 4, 5], 2), [
        [1, 2],
        [3, 4, 5],
    ])
    t.deepEqual(splitAcross([1, 2], 4), [[1], [2]])
    t.deepEqual(splitAcross([], 2), [])
    const parts = splitAcross(
        Array.from({ length: 2000 }, (_, i) => i),
        3,
    )
    t.deepEqual(
        parts.map(p => p.length),
        [666, 667, 667],
    )
    t.deepEqual(
        parts.flat(),
        Array.from({ length: 2000 }, (_, i) => i),
    )
    t.throws(() => splitAcross([1], 0), { message: /workers is 0: expected a whole number of at least 1/ })
    t.is(describeIds(["a-1", "a-2", "a-3"]), "a-1 … a-3")
    t.is(describeIds(["a-1"]), "a-1")
})

test("a fleet that cannot fit one process is refused with the bound and what to do", t => {
    const roomy = { openFiles: 1_000_000, localPorts: 28232, memoryBytes: 64 * 1024 ** 3 }
    t.is(fleetLimitProblem({ boards: 5000, workers: 2, embeddedBroker: false }, roomy), undefined)
    const files = fleetLimitProblem(
        { boards: 5000, workers: 2, embeddedBroker: true },
        { ...roomy, openFiles: 1024 },
    )
    t.regex(files!, new RegExp(`5000 boards need about ${10000 + RESERVED_FDS} open files`))
    t.regex(files!, /may open 1024 \(ulimit -n\).*--shard K\/N/)
    t.regex(files!, /use an external --broker/)
    const ports = fleetLimitProblem({ boards: 30000, workers: 2, embeddedBroker: false }, roomy)
    t.regex(ports!, /30000 local ports .* ephemeral range has 28232 \(net.ipv4.ip_local_port_range\)/)
    const memory = fleetLimitProblem(
        { boards: 5000, workers: 2, embeddedBroker: false },
        { ...roomy, memoryBytes: 1024 ** 3 },
    )
    t.regex(memory!, new RegExp(`need about \\d+ MB \\(${BOARD_RSS_BYTES / 1024 ** 2} MB a board`))
    t.regex(memory!, /this machine has 1024 MB/)
    // What cannot be read (another OS) is not checked.
    t.is(
        fleetLimitProblem(
            { boards: 5000, workers: 2, embeddedBroker: true },
            { memoryBytes: 64 * 1024 ** 3 },
        ),
        undefined,
    )
})

test("the host's limits are read from /proc's formats", t => {
    const limits = [
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max processes             95541                95541                processes ",
        "Max open files            20000                20000                files     ",
    ].join("\n")
    t.is(parseOpenFiles(limits), 20000)
    t.is(
        parseOpenFiles("Max open files            unlimited            unlimited            files"),
        undefined,
    )
    t.is(parsePortRange("32768\t60999\n"), 28232)
    t.is(parsePortRange("garbage"), undefined)
})

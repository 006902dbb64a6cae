// Pure firmware logic, run on Node: the same files DeviceScript compiles into the firmware.
import test from "ava"
import { backoffCeiling } from "../../protocol/backoff.js"
import { DropOldestQueue } from "../../firmware/src/core/queue.js"
import {
    KeepAliveAction,
    keepAliveAction,
    keepAliveStart,
    nextKeepAliveCheck,
    noteReceived,
    notePingSent,
    noteSent,
} from "../../firmware/src/core/keepalive.js"
import {
    ConnectionEvent as E,
    ConnectionState as S,
    nextConnectionState,
} from "../../firmware/src/core/connection.js"
import { sampleJson, withAge, withDropped } from "../../firmware/src/core/sample.js"
import { LATE_AFTER_MS, lateAge } from "../../protocol/age.js"
import { mixSeed, xorshift32 } from "../../firmware/src/core/random.js"
import {
    ConnectionEnd,
    holdNeededMs,
    noteConnectionEnd,
    reconnectCeiling,
    reconnectDelay,
    reconnectPolicy,
    reconnectStart,
    type ReconnectState,
} from "../../protocol/reconnect.js"
import { LogLimiter, suppressedNote } from "../../firmware/src/core/log-limit.js"
import { RateLimiter } from "../../firmware/src/core/rate.js"

test("backoff: ceiling doubles from the base and stops at the cap", t => {
    const policy = { baseMs: 500, capMs: 8000 }
    t.deepEqual(
        [0, 1, 2, 3, 4, 5, 60, 5000].map(a => backoffCeiling(a, policy)),
        [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000],
    )
})

test("queue: keeps order, drops the oldest when full, and counts drops until reported", t => {
    const q = new DropOldestQueue<number>(3)
    for (let i = 1; i <= 5; i++) q.push(i)
    t.is(q.size(), 3)
    t.is(q.unreportedDrops(), 2)
    t.is(q.totalDropped(), 2)
    t.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [3, 4, 5, undefined])
    q.dropsReported(1)
    t.is(q.unreportedDrops(), 1)
    q.dropsReported(5)
    t.is(q.unreportedDrops(), 0)
    t.is(q.totalDropped(), 2)
})

test("queue: wraps around its ring many times without losing order", t => {
    const q = new DropOldestQueue<number>(4)
    const out: number[] = []
    for (let i = 0; i < 50; i++) {
        q.push(i)
        if (i % 3 === 0) out.push(q.shift()!)
    }
    while (q.size() > 0) out.push(q.shift()!)
    const sorted = [...out].sort((a, b) => a - b)
    t.deepEqual(out, sorted)
    t.is(out.length + q.totalDropped(), 50)
})

test("queue: each entry keeps its stamp through drops and wrap-around", t => {
    const q = new DropOldestQueue<string>(3)
    t.is(q.peekStamp(), 0)
    for (let i = 1; i <= 7; i++) q.push(`s${i}`, i * 1000)
    const out: [string | undefined, number][] = []
    while (q.size() > 0) {
        const stamp = q.peekStamp()
        out.push([q.shift(), stamp])
    }
    t.deepEqual(out, [
        ["s5", 5000],
        ["s6", 6000],
        ["s7", 7000],
    ])
})

test("queue: refuses a capacity below 1 with a sentence", t => {
    t.throws(() => new DropOldestQueue(0), { message: "queue: capacity must be at least 1, got 0" })
})

test("keep-alive: pings after a period without sending", t => {
    const ka = keepAliveStart(0, 10)
    noteReceived(ka, 9000)
    t.is(keepAliveAction(ka, 9999), KeepAliveAction.NONE)
    t.is(keepAliveAction(ka, 10000), KeepAliveAction.PING)
})

test("keep-alive: pings after a period without receiving, even while publishing (QoS 0 never hears back)", t => {
    const ka = keepAliveStart(0, 10)
    for (let now = 1000; now < 10000; now += 1000) noteSent(ka, now)
    t.is(nextKeepAliveCheck(ka), 10000)
    t.is(keepAliveAction(ka, 10000), KeepAliveAction.PING)
})

test("keep-alive: one PINGREQ per period, and a deadline of half a period", t => {
    const ka = keepAliveStart(0, 10)
    notePingSent(ka, 10000)
    t.is(keepAliveAction(ka, 12000), KeepAliveAction.NONE, "no second ping while one is outstanding")
    t.is(nextKeepAliveCheck(ka), 15000)
    t.is(keepAliveAction(ka, 15000), KeepAliveAction.TIMEOUT)
})

test("keep-alive: a PINGRESP clears the deadline and the next ping is a full period later", t => {
    const ka = keepAliveStart(0, 10)
    notePingSent(ka, 10000)
    noteReceived(ka, 10050)
    t.is(keepAliveAction(ka, 15000), KeepAliveAction.NONE)
    t.is(nextKeepAliveCheck(ka), 20000)
})

test("keep-alive: swallowed PINGRESP ends the connection within 1.5 × keep-alive of the last packet received", t => {
    const ka = keepAliveStart(0, 2)
    let now = 0
    while (keepAliveAction(ka, now) !== KeepAliveAction.TIMEOUT) {
        if (keepAliveAction(ka, now) === KeepAliveAction.PING) notePingSent(ka, now)
        now += 10
    }
    t.true(now <= 3000, `gave up at ${now} ms`)
})

test("keep-alive: 300 s is kept as 300 s, and 0 disables it", t => {
    t.is(nextKeepAliveCheck(keepAliveStart(0, 300)), 300000)
    const off = keepAliveStart(0, 0)
    t.is(nextKeepAliveCheck(off), -1)
    t.is(keepAliveAction(off, 1e12), KeepAliveAction.NONE)
})

test("connection: the happy path and every way back to backing off", t => {
    let s = S.IDLE
    const step = (e: E) => (s = nextConnectionState(s, e))
    t.is(step(E.START), S.CONNECTING)
    t.is(step(E.LINK_LOST), S.BACKING_OFF)
    t.is(step(E.LINK_LOST), S.BACKING_OFF, "ignored while backing off")
    t.is(step(E.RETRY), S.CONNECTING)
    t.is(step(E.SOCKET_OPEN), S.AWAITING_CONNACK)
    t.is(step(E.CONNACK_REFUSED), S.BACKING_OFF)
    t.is(step(E.RETRY), S.CONNECTING)
    t.is(step(E.SOCKET_OPEN), S.AWAITING_CONNACK)
    t.is(step(E.CONNACK_ACCEPTED), S.ONLINE)
    t.is(step(E.CONNACK_ACCEPTED), S.ONLINE, "a stray CONNACK changes nothing")
    t.is(step(E.LINK_LOST), S.BACKING_OFF)
})

test("connection: stop says goodbye only from ONLINE, and STOPPED is final", t => {
    t.is(nextConnectionState(S.ONLINE, E.STOP), S.STOPPING)
    t.is(nextConnectionState(S.STOPPING, E.LINK_LOST), S.STOPPED)
    for (const s of [S.IDLE, S.CONNECTING, S.AWAITING_CONNACK, S.BACKING_OFF])
        t.is(nextConnectionState(s, E.STOP), S.STOPPED)
    for (const e of [E.START, E.RETRY, E.SOCKET_OPEN, E.CONNACK_ACCEPTED])
        t.is(nextConnectionState(S.STOPPED, e), S.STOPPED)
})

test("sample: seq first, readings with units, uptime; dropped added when owed", t => {
    const json = sampleJson(7, { temperature_c: 21.5, humidity_pct: 40 }, 12)
    t.is(json, '{"seq":7,"temperature_c":21.5,"humidity_pct":40,"uptime_s":12}')
    t.deepEqual(JSON.parse(withDropped(json, 3)), {
        dropped: 3,
        seq: 7,
        temperature_c: 21.5,
        humidity_pct: 40,
        uptime_s: 12,
    })
    t.is(withDropped(json, 0), json)
    t.is(withDropped("{}", 2), '{"dropped":2}')
})

test("age: only a wait past 2 s is reported, in whole ms; a negative wait (clock back) is none", t => {
    t.is(LATE_AFTER_MS, 2000)
    t.deepEqual([0, 150, 2000, -5000, NaN].map(lateAge), [0, 0, 0, 0, 0])
    t.is(lateAge(2000.5), 2000)
    t.is(lateAge(7215.9), 7215)
})

test("sample: age_ms goes last, after the readings, and combines with dropped", t => {
    const json = sampleJson(7, { temperature_c: 21.5 }, 12)
    t.is(withAge(json, 7215), '{"seq":7,"temperature_c":21.5,"uptime_s":12,"age_ms":7215}')
    t.is(withAge(json, 0), json)
    t.is(withAge("{}", 2500), '{"age_ms":2500}')
    t.deepEqual(JSON.parse(withAge(withDropped(json, 2), 3000)), {
        dropped: 2,
        seq: 7,
        temperature_c: 21.5,
        uptime_s: 12,
        age_ms: 3000,
    })
})

test("random: xorshift32 is repeatable per seed, spread over [0, 1), and seeds differ per device", t => {
    const a = xorshift32(mixSeed(42, "dev-1"))
    const b = xorshift32(mixSeed(42, "dev-1"))
    const c = xorshift32(mixSeed(42, "dev-2"))
    const xs = Array.from({ length: 1000 }, () => a())
    t.deepEqual(
        xs.slice(0, 5),
        Array.from({ length: 5 }, () => b()),
    )
    t.notDeepEqual(
        xs.slice(0, 5),
        Array.from({ length: 5 }, () => c()),
    )
    t.true(xs.every(x => x >= 0 && x < 1))
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    t.true(mean > 0.45 && mean < 0.55, `mean ${mean}`)
    t.not(mixSeed(0, ""), 0)
})

test("random: seeds of 2^31 and above give sequences of their own (DeviceScript clamps, never wraps)", t => {
    // First draws as the DeviceScript VM printed them for the same seeds and id "dev":
    // the firmware and this Node run must agree to the 6 digits the VM prints.
    const measuredInVm: [number, number[]][] = [
        [1, [0.0157074, 0.702612, 0.547934]],
        [2147483647, [0.335916, 0.30105, 0.626534]],
        [2147483648, [0.57194, 0.180649, 0.795833]],
        [4294967295, [0.835798, 0.766008, 0.042813]],
    ]
    for (const [seed, expected] of measuredInVm) {
        const r = xorshift32(mixSeed(seed, "dev"))
        t.deepEqual(
            [r(), r(), r()].map(x => Number(x.toPrecision(6))),
            expected,
            `seed ${seed}`,
        )
    }
})

// ---------------------------------------------------------------- reconnect policy (firmware and gateway)

const policy = reconnectPolicy({ baseMs: 500, capMs: 8000 })

/** A connection ended at `now` and the wait after it was drawn with `random`: the two calls the clients make. */
function ended(
    s: ReconnectState,
    end: ConnectionEnd,
    heldMs: number,
    now: number,
    random: () => number,
    p = policy,
) {
    noteConnectionEnd(s, end, heldMs, now, p)
    return reconnectDelay(s, p, random)
}

test("reconnect: connections dropped soon after CONNACK keep growing the backoff; one that held resets it", t => {
    const s = reconnectStart()
    const ceilings: number[] = []
    // Our own error each time (no takeover), the longest draws.
    for (let i = 0; i < 7; i++) {
        noteConnectionEnd(s, ConnectionEnd.OURS, 200, i * 10_000, policy)
        ceilings.push(reconnectCeiling(s, policy))
        reconnectDelay(s, policy, () => 0.999999)
    }
    // Doubling by the count (500 · 2^n, capped at 8000), each at most the waits before it
    // (a draw just under its ceiling leaves the waits a few ms short of the next one).
    t.deepEqual(ceilings, [500, 500, 998, 1995, 3989, 7977, 8000])
    t.false(s.takeover)
    noteConnectionEnd(s, ConnectionEnd.OURS, policy.holdMs, 100_000, policy) // held 10 s: start over
    t.is(s.attempt, 1)
    t.is(s.waitedMs, 0)
    t.is(reconnectCeiling(s, policy), 500)
})

test("reconnect: failures before CONNACK grow the backoff but never suggest a takeover", t => {
    const s = reconnectStart()
    for (let i = 0; i < 10; i++) {
        t.false(noteConnectionEnd(s, ConnectionEnd.NEVER_ONLINE, 0, i * 10_000, policy))
        reconnectDelay(s, policy, () => 0.999999)
    }
    t.is(s.attempt, 10)
    t.is(s.brokerCloses, 0)
    t.is(reconnectCeiling(s, policy), 8000)
})

test("reconnect: full jitter spans [0, ceiling)", t => {
    t.deepEqual(
        [0, 0.5, 0.999999].map(r => ended(reconnectStart(), ConnectionEnd.NEVER_ONLINE, 0, 0, () => r)),
        [0, 250, 499],
    )
})

test("reconnect: after a cut where every connect failed at once, no wait is longer than the waits before it", t => {
    // Connects that fail at once take no time: the waits are the time down.
    const slow = reconnectPolicy({ baseMs: 500, capMs: 60000 })
    const cut = (random: () => number) => {
        const s = reconnectStart()
        let down = 0
        while (down < 10_000) {
            const waited = s.waitedMs
            const delay = ended(s, ConnectionEnd.NEVER_ONLINE, 0, down, random, slow)
            if (delay > Math.max(slow.backoff.baseMs, waited))
                t.fail(`a wait of ${delay} ms after ${waited} ms down`)
            down += delay
        }
        return { s, down }
    }
    // The firmware's own jitter source, many seeds: the cut ends while the board waits, and
    // it is back within about as long again.
    for (let seed = 1; seed <= 200; seed++) {
        const { s, down } = cut(xorshift32(seed))
        const more = reconnectCeiling(s, slow)
        if (more > down) t.fail(`seed ${seed}: after ${down} ms down, up to ${more} ms more`)
    }
    // Short draws escalate the count fastest: by the count alone the ceiling would be at the
    // cap, and a board could stay silent for a minute after a 10 s cut.
    const { s, down } = cut(() => 0.05)
    t.is(
        backoffCeiling(s.attempt - 1, slow.backoff),
        60_000,
        `${s.attempt} attempts: the count's ceiling is the cap`,
    )
    t.true(
        reconnectCeiling(s, slow) <= down,
        `after ${down} ms down, at most ${reconnectCeiling(s, slow)} ms more`,
    )
    // A connection dropped soon after CONNACK does not end the time down; one that held does.
    noteConnectionEnd(s, ConnectionEnd.OURS, 200, down, slow)
    t.is(s.waitedMs, down)
    noteConnectionEnd(s, ConnectionEnd.OURS, slow.holdMs, down + 20_000, slow)
    t.is(s.waitedMs, 0)
    t.is(reconnectCeiling(s, slow), 500)
})

test("reconnect: three clean broker closes in a row suggest a takeover once; the delay stays in the cap's upper half", t => {
    const s = reconnectStart()
    t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 300, 1000, policy))
    t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 300, 2000, policy))
    t.true(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 300, 3000, policy), "the third says so")
    t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 300, 4000, policy), "and only once")
    t.is(s.takeovers, 1)
    t.is(
        reconnectDelay(s, policy, () => 0),
        4000,
    )
    t.is(
        reconnectDelay(s, policy, () => 0.999999),
        7999,
    )
})

test("reconnect: the twin that holds sees its third close when the other comes back from the cap", t => {
    const slow = reconnectPolicy({ baseMs: 500, capMs: 60000 })
    const s = reconnectStart()
    noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 200, 1000, slow)
    noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 300, 2000, slow)
    t.false(s.takeover)
    t.true(
        noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 45000, 47000, slow),
        "held 45 s, closed again: a twin",
    )
    t.is(holdNeededMs(s, slow), 60000)
    // Closes far apart are not a run.
    const apart = reconnectStart()
    for (let i = 0; i < 5; i++)
        t.false(noteConnectionEnd(apart, ConnectionEnd.BROKER_CLOSED, 3_600_000, i * 3_600_000, slow))
    t.is(apart.attempt, 1, "each held: the backoff starts over")
})

test("reconnect: a broker restarted again and again (closing connections that held) is not taken for a twin", t => {
    const s = reconnectStart()
    for (let i = 1; i <= 10; i++)
        t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 20_000, i * 21_000, policy))
    t.false(s.takeover)
    t.is(s.attempt, 1)
})

test("reconnect: a broker restarted every 30 s, with connects failing while it is down, is not taken for a twin", t => {
    const s = reconnectStart()
    // The first connection made 5 s before a restart: a close soon after CONNACK begins a run…
    t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 5000, 30_000, policy))
    for (let i = 2; i <= 6; i++) {
        // …but the broker refused the next connect while it restarted: not a twin's broker.
        t.false(noteConnectionEnd(s, ConnectionEnd.NEVER_ONLINE, 0, i * 30_000 - 29_500, policy))
        t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 29_000, i * 30_000, policy))
    }
    t.false(s.takeover)
    t.is(s.takeovers, 0)
    // Without the failed connects in between, the same closes are a twin's signature.
    const twin = reconnectStart()
    noteConnectionEnd(twin, ConnectionEnd.BROKER_CLOSED, 5000, 30_000, policy)
    noteConnectionEnd(twin, ConnectionEnd.BROKER_CLOSED, 29_000, 60_000, policy)
    t.true(noteConnectionEnd(twin, ConnectionEnd.BROKER_CLOSED, 29_000, 90_000, policy))
})

test("reconnect: an error of ours breaks the run and, after a hold past the cap, clears the suspicion; MQTT 5 'session taken over' counts at once", t => {
    const s = reconnectStart()
    noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 100, 1, policy)
    noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 100, 2, policy)
    noteConnectionEnd(s, ConnectionEnd.OURS, 100, 3, policy)
    t.false(noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 100, 4, policy))
    t.false(s.takeover)
    for (let i = 0; i < 3; i++) noteConnectionEnd(s, ConnectionEnd.BROKER_CLOSED, 100, 10 + i, policy)
    t.true(s.takeover)
    noteConnectionEnd(s, ConnectionEnd.OURS, 5000, 100, policy)
    t.true(s.takeover, "held 5 s, under max(cap, hold) = 10 s: still suspected")
    noteConnectionEnd(s, ConnectionEnd.OURS, 10000, 200, policy)
    t.false(s.takeover, "held past the cap")
    const m5 = reconnectStart()
    t.true(noteConnectionEnd(m5, ConnectionEnd.TAKEN_OVER, 50000, 1, policy), "even after a long hold")
})

test("log limiter: once per kind per window, then the count of what was not logged", t => {
    const l = new LogLimiter(60000)
    t.is(l.check("oversize", 0), 0)
    t.is(l.check("oversize", 1000), -1)
    t.is(l.check("suback", 1000), 0, "kinds are apart")
    t.is(l.check("oversize", 59999), -1)
    t.is(l.check("oversize", 60000), 2)
    t.is(l.check("oversize", 60001), -1)
    t.is(suppressedNote(2), " (2 more since the last report)")
    t.is(suppressedNote(0), "")
})

test("rate limiter: a burst, then the rate; drops counted", t => {
    const r = new RateLimiter(10, 20)
    let allowed = 0
    for (let i = 0; i < 100; i++) if (r.allow(0)) allowed++
    t.is(allowed, 20)
    t.is(r.dropped, 80)
    t.true(r.allow(100), "one token back after 100 ms at 10/s")
    t.false(r.allow(100))
    allowed = 0
    for (let ms = 110; ms <= 10100; ms += 10) if (r.allow(ms)) allowed++ // one event every 10 ms for 10 s
    t.true(allowed >= 99 && allowed <= 101, `${allowed} in 10 s at 10/s`)
})

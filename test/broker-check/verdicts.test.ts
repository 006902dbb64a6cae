import test from "ava"
import { SILENT_KEEPALIVE_S, SILENT_WAIT_MS } from "../../sim/broker-check/probes.js"
import { formatReport } from "../../sim/broker-check/table.js"
import { exitCodeFor, judge, REQUIRED_PAYLOAD_BYTES, type Verdict } from "../../sim/broker-check/verdicts.js"

// What issue 13 measured on clustered engines, as observations: each must be a failure
// of a contract, with its meaning for fieldlink.
const rabbitLike = [
    judge({ id: "retained-wildcard", received: false, waitedMs: 3000 }),
    judge({
        id: "retained-across-nodes",
        nodes: 3,
        missing: [
            { node: 1, filter: "exact" },
            { node: 2, filter: "wildcard" },
        ],
    }),
    judge({ id: "will-silent", keepAliveS: 4, willAfterMs: 13_500, waitedMs: 15_000 }),
]
const aedesRedisLike = judge({ id: "birth-order", connections: 8, birthsSeen: 4, birthsFirst: 4 })

test("engines that lose status fail a contract and say what fieldlink loses", t => {
    for (const v of [...rabbitLike, aedesRedisLike]) {
        t.is(v.outcome, "fail", v.id)
        t.true(v.contract, v.id)
    }
    t.is(
        rabbitLike[0]!.meaning,
        "a dashboard subscribing to a wildcard subscription (devices/+/status) does not learn which devices are online until they reconnect",
    )
    t.is(rabbitLike[1]!.seen, "missing on node 2 (exact), node 3 (wildcard)")
    t.is(
        rabbitLike[2]!.seen,
        "offline after 13.5 s = 3.4 × keep-alive (1.5 × keep-alive = 6.0 s, allowed 13.0 s)",
    )
    t.is(aedesRedisLike.seen, "4 of 8 births first, 4 never arrived")
    t.is(exitCodeFor([...rabbitLike, aedesRedisLike]), 1)
})

test("a will inside 1.5 × keep-alive plus one keep-alive sweep passes; none at all fails", t => {
    t.is(judge({ id: "will-silent", keepAliveS: 4, willAfterMs: 13_000, waitedMs: 15_000 }).outcome, "pass")
    t.is(judge({ id: "will-silent", keepAliveS: 4, willAfterMs: 13_001, waitedMs: 15_000 }).outcome, "fail")
    const none = judge({ id: "will-closed", willAfterMs: null, waitedMs: 5000 })
    t.deepEqual(
        [none.outcome, none.seen, none.meaning],
        ["fail", "no will within 5.0 s", "a crashed device stays online forever"],
    )
})

test("RabbitMQ 3.10's will at 3 × keep-alive fails at the probe's keep-alive, while mosquitto's late sweep passes", t => {
    // Measured: RabbitMQ 3.10.8 fires a silent client's will at exactly 3 × k (k = 2…10 s);
    // mosquitto 2.0 at 1.5 × k plus up to one keep-alive sweep (5–6 s).
    const rabbit = judge({
        id: "will-silent",
        keepAliveS: SILENT_KEEPALIVE_S,
        willAfterMs: SILENT_KEEPALIVE_S * 3000,
        waitedMs: SILENT_WAIT_MS,
    })
    t.is(rabbit.outcome, "fail")
    t.is(rabbit.seen, "offline after 18.0 s = 3.0 × keep-alive (1.5 × keep-alive = 9.0 s, allowed 16.0 s)")
    t.is(
        rabbit.meaning,
        "a device whose network is cut still shows online for 3.0 × its keep-alive, not 1.5 ×",
    )
    const mosquitto = judge({
        id: "will-silent",
        keepAliveS: SILENT_KEEPALIVE_S,
        willAfterMs: SILENT_KEEPALIVE_S * 1500 + 6000,
        waitedMs: SILENT_WAIT_MS,
    })
    t.is(mosquitto.outcome, "pass")
    // The probe waits long enough to report such a will as late, not as missing.
    t.true(SILENT_WAIT_MS >= SILENT_KEEPALIVE_S * 3000 + 3000, `waits ${SILENT_WAIT_MS} ms`)
})

test("what fieldlink does not need is a note, and never fails the run", t => {
    const notes = [
        judge({ id: "shared-subscription", subscribers: 2, sent: 20, deliveries: 40, suback: "granted" }),
        judge({ id: "shared-subscription", subscribers: 2, sent: 20, deliveries: 0, suback: "refused" }),
        judge({ id: "acl-subtree", delivered: true }),
        judge({ id: "session-resume", sameNode: false, received: false }),
    ]
    t.deepEqual(
        notes.map(v => v.outcome),
        ["note", "note", "note", "note"],
    )
    t.is(notes[1]!.seen, "subscription refused")
    t.is(exitCodeFor(notes), 0)
})

test("a node that does not answer a resuming client is a note naming the error, not an abandoned run", t => {
    const verdict = judge({
        id: "session-resume",
        sameNode: false,
        received: false,
        refused: "mqtt://127.0.0.1:1884: connack timeout (client flc1-sess)",
    })
    t.is(verdict.outcome, "note")
    t.is(
        verdict.seen,
        "the resuming connection failed: mqtt://127.0.0.1:1884: connack timeout (client flc1-sess)",
    )
    t.regex(verdict.meaning, /connect timeout and retries/)
    t.is(exitCodeFor([verdict]), 0)
})

test("the payload limit is judged against the longest serial line", t => {
    t.is(
        judge({ id: "max-payload", largestBytes: REQUIRED_PAYLOAD_BYTES, firstRefusedBytes: 65536 }).outcome,
        "pass",
    )
    const small = judge({ id: "max-payload", largestBytes: null, firstRefusedBytes: 1024 })
    t.deepEqual([small.outcome, small.seen], ["fail", "none (refused 1 KiB)"])
})

test("one URL makes the across-nodes check not applicable, not a pass", t => {
    const v = judge({ id: "retained-across-nodes", nodes: 1, missing: [] })
    t.is(v.outcome, "n/a")
    t.is(exitCodeFor([v]), 0)
})

test("the report lists each check and names the broken contracts", t => {
    const verdicts: Verdict[] = [judge({ id: "qos1", sent: 100, received: 100 }), rabbitLike[0]!]
    const report = formatReport(["mqtt://a:1883"], verdicts, 12_345)
    t.is(
        report,
        [
            "broker check of mqtt://a:1883 (12.3 s)",
            "",
            "check                                  result  seen",
            "QoS 1 delivery                         pass    100 of 100 delivered",
            "                                               → status and acknowledged messages arrive",
            "retained status on wildcard subscribe  FAIL    nothing within 3.0 s",
            "                                               → a dashboard subscribing to a wildcard subscription (devices/+/status) does not learn which devices are online until they reconnect",
            "",
            "1 contract fieldlink needs is broken: retained-wildcard (see docs/scale-out.md)",
        ].join("\n"),
    )
})

// When a TCP end retransmits (RFC 6298 §5.5): RTO, then doubling, capped.
import test from "ava"
import { BOARD_RTO_MS, MAX_RTO_MS, nextRetransmit } from "../../sim/network/retransmit.js"

test("the first retransmission after one RTO, each later one after twice the previous wait", t => {
    t.is(BOARD_RTO_MS, 1500)
    t.is(nextRetransmit(0, 0), 1500)
    t.is(nextRetransmit(0, 1500), 1500)
    t.is(nextRetransmit(0, 1501), 4500)
    t.is(nextRetransmit(0, 5000), 10500)
    t.is(nextRetransmit(1000, 12000, 200), 1000 + 200 + 400 + 800 + 1600 + 3200 + 6400)
})

test("the wait between retransmissions stops growing at the cap", t => {
    const late = nextRetransmit(0, 10 * 60000, 1000)
    const next = nextRetransmit(0, late + 1, 1000)
    t.is(next - late, MAX_RTO_MS)
})

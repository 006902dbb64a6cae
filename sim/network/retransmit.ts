/**
 * When a TCP end retransmits a segment nobody answered: first after its retransmission
 * timeout (RTO), then after twice the previous wait each time (RFC 6298 §5.5), up to a
 * cap. Pure: the simulated link asks when a SYN lost in a black hole is next sent.
 */

/** ESP-IDF's lwIP default initial RTO (CONFIG_LWIP_TCP_RTO_TIME), ms. */
export const BOARD_RTO_MS = 1500

/** Longest wait between two retransmissions, ms (RFC 6298 allows a cap of at least 60 s). */
export const MAX_RTO_MS = 60000

/** The first retransmission of a segment first sent at `sentAt` that happens at or after `now`. */
export function nextRetransmit(sentAt: number, now: number, rtoMs = BOARD_RTO_MS): number {
    let wait = rtoMs
    let at = sentAt + wait
    while (at < now) {
        wait = Math.min(wait * 2, MAX_RTO_MS)
        at += wait
    }
    return at
}

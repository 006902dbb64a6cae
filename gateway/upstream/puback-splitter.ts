/**
 * Takes the PUBACKs for the queue's own PUBLISHes out of what a broker sends, before
 * mqtt.js parses it (pure: bytes in, bytes out, no I/O).
 *
 * The device queue's QoS 1 PUBLISHes carry packet ids from a range mqtt.js never uses
 * (message-ids.ts). Their PUBACKs are four bytes each (`0x40 0x02 id id`, MQTT 3.1.1
 * §3.4); parsing them in mqtt.js and mqtt-packet cost several kilobytes of garbage each.
 * Here each one claimed is reported by id and dropped; every other byte — CONNACK,
 * SUBACK, PINGRESP, PUBLISH, the PUBACKs of mqtt.js's own ids — is passed on unchanged
 * and in order. Packets may straddle chunks anywhere, and a chunk that holds nothing
 * claimed is passed on as it came.
 */

/** PUBACK's first byte: type 4, flags 0 (§3.4.1). */
const PUBACK = 0x40

export class PubackSplitter {
    /** Bytes of a packet's fixed header (and a PUBACK's id) seen but not yet decided on. */
    private held: number[] = []
    /** Bytes of the current passed-on packet's body still to come. */
    private body = 0
    /** A malformed length was seen: from then on everything goes to mqtt.js, which reports it. */
    private broken = false

    constructor(
        /** Whether a PUBACK with this id is ours to take. */
        private readonly claims: (id: number) => boolean,
        /** Called for each PUBACK taken, in the order they came. */
        private readonly onPuback: (id: number) => void,
    ) {}

    /** The bytes of `chunk` meant for mqtt.js, or undefined when there are none. */
    split(chunk: Buffer): Buffer | undefined {
        if (this.broken) return chunk
        const out: Buffer[] = []
        const n = chunk.length
        let run = 0 // start of the stretch of `chunk` being passed on
        let i = 0
        if (this.held.length > 0) {
            i = this.finishHeld(chunk, out)
            run = i
        }
        while (i < n && !this.broken) {
            if (this.body > 0) {
                const take = Math.min(this.body, n - i)
                this.body -= take
                i += take
                continue
            }
            if (chunk[i] === PUBACK && i + 4 <= n && chunk[i + 1] === 2) {
                const id = (chunk[i + 2] << 8) | chunk[i + 3]
                if (this.claims(id)) {
                    if (i > run) out.push(chunk.subarray(run, i))
                    i += 4
                    run = i
                    this.onPuback(id)
                } else i += 4
                continue
            }
            const header = readHeader(chunk, i)
            if (header === "malformed") this.broken = true
            else if (header === undefined || (isPuback(chunk, i, header) && i + 4 > n)) {
                // A header (or a PUBACK) cut off by the chunk's end: hold it until the rest comes.
                if (i > run) out.push(chunk.subarray(run, i))
                for (let k = i; k < n; k++) this.held.push(chunk[k])
                i = n
                run = n
            } else {
                i += header.size
                this.body = header.length
            }
        }
        if (run < n) out.push(run === 0 ? chunk : chunk.subarray(run))
        return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out)
    }

    /** Completes the held header with the chunk's first bytes; returns where the chunk goes on. */
    private finishHeld(chunk: Buffer, out: Buffer[]): number {
        let i = 0
        for (;;) {
            const held = Buffer.from(this.held)
            const header = readHeader(held, 0)
            if (header === "malformed") {
                this.broken = true
                this.passHeld(out)
                return i
            }
            if (header !== undefined && !isPuback(held, 0, header)) {
                this.passHeld(out)
                this.body = header.length - (held.length - header.size)
                return i
            }
            if (header !== undefined && held.length === 4) {
                const id = (held[2] << 8) | held[3]
                this.held = []
                if (this.claims(id)) this.onPuback(id)
                else out.push(held)
                return i
            }
            if (i >= chunk.length) return i
            this.held.push(chunk[i++])
        }
    }

    private passHeld(out: Buffer[]): void {
        out.push(Buffer.from(this.held))
        this.held = []
    }
}

/** A PUBACK as 3.1.1 sends it: type 4, Remaining Length 2 in one byte. */
function isPuback(bytes: Buffer, at: number, header: { size: number; length: number }): boolean {
    return bytes[at] === PUBACK && header.size === 2 && header.length === 2
}

/**
 * The fixed header at `at`: its size (type byte + Remaining Length, §2.2.3) and the
 * Remaining Length, or undefined when the buffer ends inside it.
 */
function readHeader(bytes: Buffer, at: number): { size: number; length: number } | undefined | "malformed" {
    let length = 0
    let factor = 1
    for (let k = 1; k <= 4; k++) {
        if (at + k >= bytes.length) return undefined
        const b = bytes[at + k]
        length += (b & 0x7f) * factor
        if ((b & 0x80) === 0) return { size: 1 + k, length }
        factor *= 128
    }
    return "malformed"
}

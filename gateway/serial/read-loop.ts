/**
 * Reads an open port straight from its binding, in a loop of its own, instead of through
 * SerialPort's Readable stream.
 *
 * At the rates a UART carries every read holds a line or two, so what a read costs
 * besides its lines is much of the gateway's CPU. Through the stream each read also went
 * through its buffering (push, the `data` event, a `process.nextTick` to read more,
 * `_read`, serialport's debug calls and promise callbacks). Without it, 16 devices at
 * 1,000 lines/s in all: ~11 % less CPU a line (`perf stat` over 10 s, three alternating
 * runs each) and ~0.6 KB less garbage a line (V8's sampling heap profiler). Here a read
 * hands its bytes to `data` and asks for the next one.
 *
 * Pausing stops reading: what the device sends meanwhile waits in the OS (and, once that
 * is full, holds the device back) instead of in a read-ahead buffer of ours. A read
 * already waiting when the pause comes keeps what it gets until the resume.
 */

/** What the loop needs of a binding's open port (serialport's BindingPortInterface). */
export interface ReadablePort {
    read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }>
}

/** Bytes read into one slab before a new one: chunks handed out stay valid (never overwritten). */
const SLAB_BYTES = 16 * 1024
/** Below this much room left, the next read takes a new slab rather than a sliver. */
const MIN_ROOM = 512

export class ReadLoop {
    private slab = Buffer.allocUnsafe(SLAB_BYTES)
    private used = 0
    private paused = false
    private stopped = false
    private wake: (() => void) | undefined

    /**
     * `failed` is told of a read error that was not the port closing (an unplug: EIO);
     * the loop has ended then.
     */
    constructor(
        private readonly port: ReadablePort,
        private readonly data: (chunk: Buffer) => void,
        private readonly failed: (error: Error) => void,
    ) {}

    start(): void {
        // What `data` throws ends this port's reading as a read error would: the port
        // closes (and is opened again), and the other ports and the gateway go on.
        this.run().catch((error: unknown) => {
            this.stopped = true
            this.failed(error instanceof Error ? error : new Error(String(error)))
        })
    }

    pause(): void {
        this.paused = true
    }

    resume(): void {
        this.paused = false
        this.wake?.()
    }

    /** No more reads; a pending one ends when the binding closes the port. */
    stop(): void {
        this.stopped = true
        this.wake?.()
    }

    private async run(): Promise<void> {
        while (!this.stopped) {
            if (this.paused) {
                await this.resumed()
                continue
            }
            if (SLAB_BYTES - this.used < MIN_ROOM) {
                this.slab = Buffer.allocUnsafe(SLAB_BYTES)
                this.used = 0
            }
            const slab = this.slab
            const start = this.used
            let bytesRead: number
            try {
                ;({ bytesRead } = await this.port.read(slab, start, SLAB_BYTES - start))
            } catch (e) {
                // Canceled: the port was closed on purpose (bindings-cpp's reads say so).
                if (!this.stopped && !(e as { canceled?: boolean }).canceled) this.failed(e as Error)
                return
            }
            if (this.stopped) return
            if (bytesRead === 0) {
                // End of input: the device is gone (serialport ends its stream there too).
                this.failed(new Error("the port reported end of input"))
                return
            }
            this.used = start + bytesRead
            // A read already waiting when pause() came holds its chunk until resume().
            if (this.paused) await this.resumed()
            if (this.stopped) return
            this.data(slab.subarray(start, start + bytesRead))
        }
    }

    private async resumed(): Promise<void> {
        await new Promise<void>(resolve => (this.wake = resolve))
        this.wake = undefined
    }
}

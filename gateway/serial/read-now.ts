/**
 * serialport's own binding (bindings-cpp) with one change: a port's read runs on the
 * event loop, when the port is readable, instead of in libuv's thread pool.
 *
 * bindings-cpp opens every port non-blocking (O_NONBLOCK) and on Linux and macOS reads it
 * with an asynchronous fs.read: every chunk is a round trip through a pool thread (queue
 * the request, wake the thread, read, wake the loop), and the first read after a quiet
 * spell fails with EAGAIN before it waits for the poller. The read itself is cheap; the
 * two thread wake-ups per chunk are not on a busy machine: under the gateway bench the
 * event loop's samples showed 18 % of its time inside that fs.read call (handing the
 * request over and being switched out). A read of a non-blocking descriptor never
 * blocks, so here it is made right away with readSync; EAGAIN waits for the port's own
 * poller (`readable`), as the original does. Open, close, writes, settings and errors stay
 * bindings-cpp's: a read that fails with anything but EAGAIN is thrown as before and ends
 * the port.
 *
 * Windows has no poller and reads with overlapped I/O of its own: it keeps its binding.
 */
import { readSync } from "node:fs"
import { SerialPort } from "serialport"

type Binding = typeof SerialPort.binding
type PortBinding = Awaited<ReturnType<Binding["open"]>>
type ReadResult = Awaited<ReturnType<PortBinding["read"]>>

/** What a Linux or macOS port binding has besides the interface: its descriptor and poller. */
interface UnixPort {
    fd: number | null
    readonly isOpen: boolean
    poller: {
        once(event: "readable", listener: (error: Error | null) => void): unknown
    }
}

function isUnixPort(port: unknown): port is UnixPort {
    const p = port as Partial<UnixPort>
    return typeof p.fd === "number" && typeof p.poller?.once === "function"
}

/** The error bindings-cpp gives a read of a port that closed meanwhile: the stream ignores it. */
function notOpen(): Error {
    return Object.assign(new Error("Port is not open"), { canceled: true })
}

function readable(port: UnixPort): Promise<void> {
    return new Promise((resolve, reject) => {
        port.poller.once("readable", error => (error ? reject(error) : resolve()))
    })
}

const RETRY = new Set(["EAGAIN", "EWOULDBLOCK", "EINTR"])

/** Reads what the port holds now, else waits until it is readable and reads then. */
export async function readWhenReadable(
    port: UnixPort,
    buffer: Buffer,
    offset: number,
    length: number,
): Promise<ReadResult> {
    for (;;) {
        if (!port.isOpen || port.fd === null) throw notOpen()
        let bytesRead: number
        try {
            bytesRead = readSync(port.fd, buffer, offset, length, null)
        } catch (e) {
            if (!RETRY.has((e as NodeJS.ErrnoException).code ?? "")) throw e
            bytesRead = 0
        }
        if (bytesRead > 0) return { bytesRead, buffer }
        // Nothing there (EAGAIN), or 0 bytes: wait for the poller rather than spin.
        await readable(port)
    }
}

/** `binding` whose ports read with readWhenReadable where they can (Linux, macOS). */
export function readNowBinding(binding: Binding = SerialPort.binding): Binding {
    return {
        ...binding,
        list: () => binding.list(),
        async open(options: Parameters<Binding["open"]>[0]) {
            const port = await binding.open(options as never)
            if (!isUnixPort(port)) return port
            const unix: UnixPort = port
            port.read = (buffer: Buffer, offset: number, length: number) =>
                readWhenReadable(unix, buffer, offset, length)
            return port
        },
    } as Binding
}

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
 * blocks, so here it is made with readSync when the port's own poller says `readable`. Open, close, writes, settings and errors stay
 * bindings-cpp's: a read that fails with anything but EAGAIN is thrown as before and ends
 * the port.
 *
 * Second change: every wait on the port's poller keeps the others armed (see
 * armEveryWait): bindings-cpp's own poller lets a read's wait cancel a write's, and the
 * other way round.
 *
 * Windows has no poller and reads with overlapped I/O of its own: it keeps its binding.
 */
import { readSync } from "node:fs"
import { SerialPort } from "serialport"
import { armEveryWait, isWaitingPoller } from "@fieldlink/lib/serial/poller-waits"

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

const RETRY = new Set(["EAGAIN", "EWOULDBLOCK", "EINTR"])

/**
 * Waits until the port is readable, then reads what it holds. Always through the poller,
 * even when data is already waiting: its `readable` comes in the event loop's poll phase,
 * beside the sockets, so a device that writes without pause cannot starve them (reading
 * again at once, from a microtask, would never let a PUBACK in while the port had data).
 * One promise and its callbacks per read, no more: every chunk a device sends comes
 * through here, mostly a line or two each.
 */
export function readWhenReadable(
    port: UnixPort,
    buffer: Buffer,
    offset: number,
    length: number,
): Promise<ReadResult> {
    return new Promise((resolve, reject) => {
        const wait = () => {
            if (!port.isOpen || port.fd === null) reject(notOpen())
            else port.poller.once("readable", onReadable)
        }
        const onReadable = (error?: Error | null) => {
            if (error) return reject(error)
            if (!port.isOpen || port.fd === null) return reject(notOpen())
            let bytesRead = 0
            try {
                bytesRead = readSync(port.fd, buffer, offset, length, null)
            } catch (e) {
                if (!RETRY.has((e as NodeJS.ErrnoException).code ?? "")) return reject(e)
            }
            // 0 bytes or EAGAIN (another reader was first, or a spurious wake-up): wait again.
            if (bytesRead > 0) resolve({ bytesRead, buffer })
            else wait()
        }
        wait()
    })
}

/**
 * `binding` whose ports read with readWhenReadable and keep every poller wait armed where
 * they can (Linux, macOS).
 */
export function readNowBinding(binding: Binding = SerialPort.binding): Binding {
    return {
        ...binding,
        list: () => binding.list(),
        async open(options: Parameters<Binding["open"]>[0]) {
            const port = await binding.open(options as never)
            if (!isUnixPort(port)) return port
            const unix: UnixPort = port
            if (isWaitingPoller(unix.poller)) armEveryWait(unix.poller)
            port.read = (buffer: Buffer, offset: number, length: number) =>
                readWhenReadable(unix, buffer, offset, length)
            return port
        },
    } as Binding
}

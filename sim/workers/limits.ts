/**
 * What bounds how many boards one simulator process can run, checked before any board
 * starts, so a run that cannot fit fails at once with what to do rather than minutes
 * later with EMFILE, EADDRNOTAVAIL or the out-of-memory killer.
 *
 * - File descriptors: a board holds one TCP socket (two with the embedded broker in the
 *   same process: the broker's end too). Node raises its soft limit to the hard one at
 *   start-up, so the hard `ulimit -n` is what counts.
 * - Local ports: every connection from this machine to one broker address takes its own
 *   local port from the kernel's ephemeral range.
 * - Memory: each board is a DeviceScript VM with its own WebAssembly memory and Jacdac
 *   bus; each worker thread loads the VM module once.
 *
 * `fleetLimitProblem` is pure; `readHostLimits` reads them from /proc (Linux) and leaves
 * out what it cannot read.
 */
import { readFileSync } from "node:fs"
import os from "node:os"

/** Descriptors the process needs beside its boards: the VM bundle, the dashboard, the monitor, a gateway. */
export const RESERVED_FDS = 200
/**
 * Resident memory per board, with headroom: measured 0.6 MB (`fieldlink sim` on 2
 * workers: 194 MB RSS with 20 boards, 417 MB with 400).
 */
export const BOARD_RSS_BYTES = 1024 * 1024
/** Resident memory of a worker thread before its boards (its V8 heap, the VM module), with headroom. */
export const WORKER_RSS_BYTES = 100 * 1024 * 1024

export interface HostLimits {
    /** RLIMIT_NOFILE of this process (soft: Node has raised it to the hard limit). */
    openFiles?: number
    /** Size of the kernel's ephemeral port range. */
    localPorts?: number
    /** Bytes of memory the machine has. */
    memoryBytes: number
}

export interface FleetNeeds {
    /** Boards this process runs. */
    boards: number
    workers: number
    /** The broker runs in this process (its end of every connection is here too). */
    embeddedBroker: boolean
}

const MB = 1024 * 1024

/** Why `needs` cannot run within `limits`, with what to do; undefined when it fits. Pure. */
export function fleetLimitProblem(needs: FleetNeeds, limits: HostLimits): string | undefined {
    const fds = needs.boards * (needs.embeddedBroker ? 2 : 1) + RESERVED_FDS
    if (limits.openFiles !== undefined && fds > limits.openFiles)
        return (
            `${needs.boards} boards need about ${fds} open files (a socket each` +
            `${needs.embeddedBroker ? ", and the embedded broker's end of it" : ""}), but this process may open ` +
            `${limits.openFiles} (ulimit -n): raise the hard limit (ulimit -Hn, or LimitNOFILE= in a systemd unit)` +
            `${needs.embeddedBroker ? ", use an external --broker" : ""}, or split the fleet over machines with --shard K/N`
        )
    if (limits.localPorts !== undefined && needs.boards > limits.localPorts)
        return (
            `${needs.boards} boards need ${needs.boards} local ports to one broker address, but the kernel's ` +
            `ephemeral range has ${limits.localPorts} (net.ipv4.ip_local_port_range): widen it, or split the ` +
            "fleet over machines with --shard K/N"
        )
    const memory = needs.boards * BOARD_RSS_BYTES + needs.workers * WORKER_RSS_BYTES
    if (memory > limits.memoryBytes)
        return (
            `${needs.boards} boards in ${needs.workers} worker(s) need about ${Math.ceil(memory / MB)} MB ` +
            `(${BOARD_RSS_BYTES / MB} MB a board, ${WORKER_RSS_BYTES / MB} MB a worker), but this machine has ` +
            `${Math.floor(limits.memoryBytes / MB)} MB: split the fleet over machines with --shard K/N`
        )
    return undefined
}

/** The `Max open files` soft limit from /proc/self/limits; undefined elsewhere or when unlimited. */
export function parseOpenFiles(text: string): number | undefined {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)
    return m && m[1] !== "unlimited" ? Number(m[1]) : undefined
}

/** `32768\t60999` → 28232. */
export function parsePortRange(text: string): number | undefined {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text)
    return m ? Number(m[2]) - Number(m[1]) + 1 : undefined
}

function readOptional(file: string): string | undefined {
    try {
        return readFileSync(file, "utf8")
    } catch {
        return undefined
    }
}

export function readHostLimits(): HostLimits {
    const limits = readOptional("/proc/self/limits")
    const ports = readOptional("/proc/sys/net/ipv4/ip_local_port_range")
    return {
        openFiles: limits === undefined ? undefined : parseOpenFiles(limits),
        localPorts: ports === undefined ? undefined : parsePortRange(ports),
        memoryBytes: os.totalmem(),
    }
}

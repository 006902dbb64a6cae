// Nothing fieldlink starts may outlive it: the simulator's socat pairs and gateways, a
// test's mosquitto. Their owners stop them in stop(); this module is the safety net for
// when stop() never runs:
//  - on a normal exit of this process, an "exit" hook SIGKILLs every tracked child;
//  - when this process is killed (SIGKILL, or ava ending a timed-out worker with a
//    signal, which runs no "exit" hook), a tiny watchdog shell notices that its stdin
//    pipe from us closed and SIGKILLs the child it guards.
import { spawn, type ChildProcess } from "node:child_process"
import { rmSync } from "node:fs"
import type { Socket } from "node:net"

interface Tracked {
    child: ChildProcess
    watchdog: ChildProcess | undefined
}

const tracked = new Set<Tracked>()
const exitTasks = new Set<() => void>()
let hookInstalled = false

function installExitHook(): void {
    if (hookInstalled) return
    hookInstalled = true
    process.on("exit", () => {
        for (const entry of tracked) {
            killQuietly(entry.child.pid, "SIGKILL")
            killQuietly(entry.watchdog?.pid, "SIGTERM")
        }
        tracked.clear()
        for (const task of exitTasks) {
            try {
                task()
            } catch {
                // best effort at exit
            }
        }
    })
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return
    try {
        process.kill(pid, signal)
    } catch {
        // already gone
    }
}

/**
 * Ties `child` to this process: it is SIGKILLed when this process exits or dies,
 * whichever way. Call right after spawn().
 */
export function tieToParent(child: ChildProcess): void {
    const pid = child.pid
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    installExitHook()
    const entry: Tracked = { child, watchdog: startWatchdog(pid) }
    tracked.add(entry)
    child.once("exit", () => {
        tracked.delete(entry)
        // Stop the watchdog before its pid argument could be reused by another process.
        entry.watchdog?.kill("SIGTERM")
    })
}

function startWatchdog(pid: number): ChildProcess | undefined {
    try {
        const watchdog = spawn(
            "sh",
            ["-c", 'read _ignored; kill -KILL "$1" 2>/dev/null', "fieldlink-watchdog", String(pid)],
            {
                stdio: ["pipe", "ignore", "ignore"],
                detached: true,
            },
        )
        watchdog.on("error", () => {
            // no shell: the exit hook still covers normal exits
        })
        watchdog.unref()
        const pipe = watchdog.stdin as Socket | null
        pipe?.unref()
        return watchdog
    } catch {
        return undefined
    }
}

/** Runs `task` synchronously when this process exits normally. Returns an unregister function. */
export function onProcessExit(task: () => void): () => void {
    installExitHook()
    exitTasks.add(task)
    return () => exitTasks.delete(task)
}

/** Removes `dir` when this process exits, unless unregistered first. */
export function removeOnExit(dir: string): () => void {
    return onProcessExit(() => rmSync(dir, { recursive: true, force: true }))
}

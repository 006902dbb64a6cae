// Turns between test files that each start a heavy cluster (three Erlang VMs, or three
// aedes nodes on Redis): ava runs files in parallel, and on a 2-core machine one
// cluster's start-up starves the other's brokers past their CONNACK deadlines. A file
// that needs a quiet machine for a while takes a turn; the others wait for it.
//
//   const release = await takeTurn("clusters")
//   try { … } finally { await release() }
import { open, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import path from "node:path"

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM"
    }
}

/** Waits (at most `timeoutMs`) until no other live process holds the turn `name`, then holds it. */
export async function takeTurn(name: string, timeoutMs = 180_000): Promise<() => Promise<void>> {
    const lock = path.join(tmpdir(), `fieldlink-test-turn-${name}.lock`)
    const giveUp = Date.now() + timeoutMs
    for (;;) {
        try {
            const handle = await open(lock, "wx")
            await handle.writeFile(String(process.pid))
            await handle.close()
            return () => rm(lock, { force: true })
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
        const owner = Number(await readFile(lock, "utf8").catch(() => ""))
        // A holder that died (killed test run) leaves the file: take the turn over.
        if (owner > 0 && !alive(owner)) {
            await rm(lock, { force: true })
            continue
        }
        if (Date.now() > giveUp)
            throw new Error(
                `waited ${timeoutMs} ms for the test turn ${lock} (held by process ${owner || "?"})`,
            )
        await new Promise(resolve => setTimeout(resolve, 250))
    }
}

// Turns between test files that each start a heavy cluster (three Erlang VMs, or three
// aedes nodes on Redis): ava runs files in parallel, and on a 2-core machine one
// cluster's start-up starves the other's brokers past their CONNACK deadlines. A file
// that needs a quiet machine for a while takes a turn; the others wait for it.
//
//   const release = await takeTurn("clusters")
//   try { … } finally { await release() }
import { tmpdir } from "node:os"
import path from "node:path"
import { takeLockFile } from "@fieldlink/lib/process/lock-file"

/** Waits (at most `timeoutMs`) until no other live process holds the turn `name`, then holds it. */
export function takeTurn(name: string, timeoutMs = 180_000): Promise<() => Promise<void>> {
    return takeLockFile(path.join(tmpdir(), `fieldlink-test-turn-${name}.lock`), { deadlineMs: timeoutMs })
}

// The lock between processes that serialises firmware builds (and the cluster tests'
// turns): one holder at a time, a dead holder's lock taken over, a live one waited for
// and named when the deadline passes.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import test from "ava"
import { processIdentity, takeLockFile } from "@fieldlink/lib/process/lock-file"

function tempLock(t: { teardown(fn: () => void): void }): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-lock-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    return path.join(dir, "build.lock")
}

test("one holder at a time: the second waits until the first releases", async t => {
    const lock = tempLock(t)
    const order: string[] = []
    const first = await takeLockFile(lock, { deadlineMs: 5000 })
    t.is(readFileSync(lock, "utf8").split(" ")[0], String(process.pid))
    const second = takeLockFile(lock, { deadlineMs: 5000 }).then(release => {
        order.push("second holds")
        return release
    })
    await new Promise(resolve => setTimeout(resolve, 100))
    order.push("first releases")
    await first()
    await (
        await second
    )()
    t.deepEqual(order, ["first releases", "second holds"])
})

test("a lock left by a process that has died is taken over at once", async t => {
    const lock = tempLock(t)
    const child = spawn(process.execPath, ["-e", ""])
    const pid = child.pid!
    await new Promise(resolve => child.once("exit", resolve))
    writeFileSync(lock, String(pid))
    const started = Date.now()
    const release = await takeLockFile(lock, { deadlineMs: 5000 })
    t.true(Date.now() - started < 1000)
    t.is(readFileSync(lock, "utf8").split(" ")[0], String(process.pid))
    await release()
})

test("a live holder past the deadline is named, with what to do", async t => {
    const lock = tempLock(t)
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"])
    t.teardown(() => void child.kill("SIGKILL"))
    writeFileSync(lock, String(child.pid))
    const error = await t.throwsAsync(takeLockFile(lock, { deadlineMs: 300 }))
    t.regex(
        error!.message,
        new RegExp(`held by process ${child.pid}\\); if no such process runs, delete the file`),
    )
})

test("a live pid that is not the recorded process (the pid given again after a reboot) is a stale lock", async t => {
    const lock = tempLock(t)
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"])
    t.teardown(() => void child.kill("SIGKILL"))
    await new Promise(resolve => child.once("spawn", resolve))
    t.not(processIdentity(child.pid!), "", "this system tells the boot and start time of a process")
    // The record of the same pid from another boot: stale, taken over at once.
    writeFileSync(lock, `${child.pid} 00000000-0000-0000-0000-000000000000/1\n`)
    const release = await takeLockFile(lock, { deadlineMs: 5000 })
    t.is(readFileSync(lock, "utf8"), `${process.pid} ${processIdentity(process.pid)}\n`)
    await release()
    // Its own record: a live holder, waited for.
    writeFileSync(lock, `${child.pid} ${processIdentity(child.pid!)}\n`)
    await t.throwsAsync(takeLockFile(lock, { deadlineMs: 300 }), { message: /held by process/ })
})

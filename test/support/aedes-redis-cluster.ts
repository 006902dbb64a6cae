// A cluster of aedes nodes sharing one Redis (mqemitter-redis carries messages between
// nodes, aedes-persistence-redis holds retained messages, wills and sessions), run in a
// child process: the Redis clients of aedes-persistence-redis never close (its destroy()
// waits on the closed emitter), so the cluster is ended by ending its process.
//
//   const cluster = await startAedesRedisCluster(redis.port, 3)
//   t.teardown(() => cluster.stop())
//   … cluster.urls …
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { tieToParent } from "./cleanup.js"
import { waitFor } from "./wait.js"

export interface AedesRedisCluster {
    readonly urls: string[]
    stop(): Promise<void>
}

const NODE_SCRIPT = fileURLToPath(new URL("./aedes-redis-node.ts", import.meta.url))

export async function startAedesRedisCluster(redisPort: number, nodes: number): Promise<AedesRedisCluster> {
    const child = spawn(
        process.execPath,
        ["--import=tsx", "--conditions=source", NODE_SCRIPT, String(redisPort), String(nodes)],
        { stdio: ["ignore", "pipe", "pipe"] },
    )
    tieToParent(child)
    let output = ""
    child.stdout!.on("data", d => (output += d))
    child.stderr!.on("data", d => (output += d))
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()))
    const line = await waitFor(
        () =>
            output.split("\n").find(l => l.startsWith("urls ")) ??
            (child.exitCode !== null ? "exited" : undefined),
        {
            what: "the aedes + Redis cluster to listen",
            timeoutMs: 20000,
        },
    )
    if (line === "exited") throw new Error(`the aedes + Redis cluster exited at start:\n${output}`)
    return {
        urls: JSON.parse(line.slice("urls ".length)) as string[],
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return
            child.kill("SIGKILL")
            await exited
        },
    }
}

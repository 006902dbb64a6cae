/**
 * The codec vectors inside the real DeviceScript VM (the WASM build shipped in
 * @devicescript/cli): compiles firmware/test/codec.test.ts with the DeviceScript
 * compiler, which also proves protocol/mqtt stays inside the DeviceScript subset.
 */
import test from "ava"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const firmware = fileURLToPath(new URL("../../firmware", import.meta.url))
const devs = fileURLToPath(new URL("../../node_modules/.bin/devs", import.meta.url))

test("firmware/test/codec.test.ts passes in the DeviceScript VM", async t => {
    t.timeout(120_000)
    const { code, output } = await new Promise<{ code: number | null; output: string }>(resolve => {
        const child = execFile(
            devs,
            ["run", "test/codec.test.ts", "--test", "--test-self-exit", "-T", "60000"],
            {
                cwd: firmware,
                timeout: 110_000,
                maxBuffer: 16 * 1024 * 1024,
                env: { ...process.env, NO_COLOR: "1" },
            },
            (error, stdout, stderr) => {
                const exit = error ? (typeof error.code === "number" ? error.code : null) : 0
                resolve({ code: exit, output: `${stdout}\n${stderr}` })
            },
        )
        child.stdin?.end()
    })
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\u001b\[[0-9;]*m/g, "")
    const summary = /tests: (\d+), pass: (\d+), error: (\d+)/.exec(plain)
    const tail = plain.split("\n").slice(-40).join("\n")
    t.is(code, 0, `devs exited with ${code}; repo ${root}\n${tail}`)
    t.truthy(summary, `no test summary in the output\n${tail}`)
    const [, total, pass, errors] = summary!.map(Number)
    t.true(total > 0)
    t.is(pass, total, tail)
    t.is(errors, 0)
    t.regex(plain, /test OK/)
})

// Who may use the dashboard (pure rules), and the command line refusing an open dashboard.
import test from "ava"
import { hostAllowed, isLoopback, listenProblem, requestToken, tokenMatches } from "../../dashboard/access.js"
import { commandPayload } from "../../dashboard/commands.js"
import { runCli } from "../support/cli.js"

test("loopback is this machine only", t => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) t.true(isLoopback(h), h)
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "example.org", "127.0.0.1.example.org"])
        t.false(isLoopback(h), h)
})

test("listening beyond loopback needs a token of at least 16 characters", t => {
    t.is(listenProblem("127.0.0.1", undefined), null)
    t.regex(
        listenProblem("0.0.0.0", undefined)!,
        /--host 0.0.0.0 makes the dashboard reachable from other machines, so it needs a token/,
    )
    t.regex(listenProblem("0.0.0.0", "short")!, /the token is 5 characters long; use at least 16/)
    t.is(listenProblem("0.0.0.0", "0123456789abcdef"), null)
})

test("tokens: from a bearer header, the cookie or the address; compared whole", t => {
    const url = new URL("http://x/?token=abc")
    t.is(requestToken({ authorization: "Bearer xyz" }, url), "xyz")
    t.is(requestToken({ cookie: "a=1; fieldlink_token=q%3Dr" }, new URL("http://x/")), "q=r")
    t.is(requestToken({}, url), "abc")
    t.is(requestToken({}, new URL("http://x/")), undefined)
    t.true(tokenMatches("0123456789abcdef", "0123456789abcdef"))
    t.false(tokenMatches("0123456789abcdef", "0123456789abcde"))
    t.false(tokenMatches("0123456789abcdef", undefined))
})

test("without a token, only loopback names in the Host header (no DNS rebinding)", t => {
    t.true(hostAllowed("127.0.0.1:8080", false))
    t.true(hostAllowed("localhost:8080", false))
    t.true(hostAllowed("[::1]:8080", false))
    t.false(hostAllowed("evil.example:8080", false))
    t.false(hostAllowed(undefined, false))
    t.true(hostAllowed("pi.local:8080", true))
})

test("the interval command: whole ms within the firmware's bounds, a valid id", t => {
    t.deepEqual(commandPayload("sim-1", "interval", 2000), { payload: "2000" })
    t.deepEqual(commandPayload("sim-1", "interval", "2000"), { payload: "2000" })
    t.regex(
        (commandPayload("sim-1", "interval", 99) as { error: string }).error,
        /whole milliseconds from 100 to 86400000, got 99/,
    )
    t.regex((commandPayload("sim-1", "interval", 1.5) as { error: string }).error, /got 1.5/)
    t.regex((commandPayload("sim-1", "interval", null) as { error: string }).error, /got null/)
    t.regex((commandPayload("sim-1", "restart", 1) as { error: string }).error, /sends only 'interval'/)
    t.regex((commandPayload("a/b", "interval", 1000) as { error: string }).error, /device id 'a\/b'/)
})

// One test per case: each is a process start, slow on a loaded machine.
const refusals: [string[], RegExp][] = [
    [["dashboard"], /--broker URL is required/],
    [
        ["dashboard", "--broker", "mqtt://127.0.0.1:1", "--host", "0.0.0.0"],
        /--host 0.0.0.0 makes the dashboard reachable from other machines, so it needs a token: add --token T/,
    ],
    [
        ["dashboard", "--broker", "mqtt://127.0.0.1:1", "--host", "0.0.0.0", "--token", "abc"],
        /the token is 3 characters long/,
    ],
    [
        ["dashboard", "--broker", "mqtt://127.0.0.1:1", "--port", "70000"],
        /--port expects a whole number from 0 to 65535, got '70000'/,
    ],
    [["dashboard", "--broker", "mqtt://127.0.0.1:1", "--ha-prefix", "x"], /--ha-prefix goes with --ha/],
    [
        ["dashboard", "--broker", "mqtt://127.0.0.1:1", "--ha", "--ha-prefix", "a/#"],
        /--ha-prefix 'a\/#' must be topic levels without \+, #/,
    ],
    [["homeassistant"], /--broker URL is required/],
    [["sim", "--ha-prefix", "x"], /--ha-prefix goes with --ha/],
]
for (const [args, expected] of refusals) {
    test(`fieldlink ${args.join(" ")}: refused with exit code 2`, async t => {
        const r = await runCli(args, 60000, { ...process.env, FIELDLINK_DASHBOARD_TOKEN: "" })
        t.is(r.code, 2)
        t.regex(r.stderr, expected)
    })
}

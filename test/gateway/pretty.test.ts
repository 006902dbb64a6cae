// The gateway's own pretty log lines (for a terminal; services log JSON).
import { PassThrough } from "node:stream"
import test from "ava"
import { createLogger } from "../../gateway/obs/logger.js"
import { prettyLine } from "../../gateway/obs/pretty.js"

test("a record becomes [time] LEVEL: message {fields}, without pid, hostname or gateway", t => {
    const time = new Date(2026, 0, 2, 3, 4, 5, 67).getTime()
    const line = prettyLine(
        JSON.stringify({
            level: 40,
            time,
            pid: 1,
            hostname: "pi",
            gateway: "gw",
            msg: "queue full",
            device: "meter-1",
            dropped: 3,
        }),
        false,
    )
    t.is(line, '[03:04:05.067] WARN: queue full {"device":"meter-1","dropped":3}\n')
})

test("colours only the level, and text that is not JSON passes unchanged", t => {
    t.is(prettyLine(JSON.stringify({ level: 50, msg: "boom" }), true), "\x1b[31mERROR\x1b[39m: boom\n")
    t.is(prettyLine("not json", true), "not json\n")
})

test("format pretty writes readable lines, still redacting credentials", t => {
    const out = new PassThrough()
    let text = ""
    out.on("data", (d: Buffer) => (text += d.toString("utf8")))
    const log = createLogger({ level: "info", format: "pretty", destination: out })
    log.info({ device: "d1", password: "hunter2" }, "online")
    log.debug("not shown at info")
    t.regex(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: online \{"device":"d1","password":"\[redacted\]"\}\n$/)
})

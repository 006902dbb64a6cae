// Runs a `mosquitto_pub …` command exactly as fieldlink printed it in a log line (the
// advice that clears a retained command), against a test's own broker: the words are
// split as a POSIX shell would for the quoting fieldlink uses (plain words and
// '…' with '\'' inside), then -h and -p name the test broker.
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { findBinary } from "./binaries.js"

const execFileAsync = promisify(execFile)

/** Splits `line` into shell words: whitespace separates, single quotes group, `\'` is a quote. */
export function shellWords(line: string): string[] {
    const words: string[] = []
    let word: string | undefined
    for (let i = 0; i < line.length; i++) {
        const c = line[i]
        if (c === "'") {
            const end = line.indexOf("'", i + 1)
            if (end < 0) throw new Error(`unterminated quote in ${JSON.stringify(line)}`)
            word = (word ?? "") + line.slice(i + 1, end)
            i = end
        } else if (c === "\\" && i + 1 < line.length) {
            word = (word ?? "") + line[++i]
        } else if (/\s/.test(c)) {
            if (word !== undefined) words.push(word)
            word = undefined
        } else {
            word = (word ?? "") + c
        }
    }
    if (word !== undefined) words.push(word)
    return words
}

/** The `mosquitto_pub …` at the end of `logLine`, run against `brokerUrl`. */
export async function runPrintedMosquittoPub(logLine: string, brokerUrl: string): Promise<string[]> {
    const at = logLine.indexOf("mosquitto_pub ")
    if (at < 0) throw new Error(`no mosquitto_pub command in ${JSON.stringify(logLine)}`)
    const [program, ...args] = shellWords(logLine.slice(at))
    const binary = findBinary(program)
    if (binary === undefined) throw new Error(`${program} not found: install mosquitto-clients`)
    const url = new URL(brokerUrl)
    await execFileAsync(binary, [...args, "-h", url.hostname, "-p", url.port], { timeout: 10000 })
    return args
}

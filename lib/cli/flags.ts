/**
 * Command-line flag parsing on Node's own `util.parseArgs`, with values validated and
 * every mistake reported as a sentence that names the flag, what was found and what is
 * expected.
 */
import { parseArgs } from "node:util"
import { UsageError } from "./errors.js"

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>

export interface ParsedFlags {
    values: Record<string, string | boolean | string[] | undefined>
    positionals: string[]
}

/**
 * The program a message names: `command` is a sub-command of `fieldlink` ("gateway"), or
 * a whole program name of its own ("fieldlink-gateway", the gateway installed alone).
 */
function program(command: string): string {
    return command.startsWith("fieldlink") ? command : `fieldlink ${command}`
}

export function parseFlags(command: string, argv: string[], spec: FlagSpec): ParsedFlags {
    try {
        const { values, positionals } = parseArgs({
            args: argv,
            options: { ...spec, help: { type: "boolean", short: "h" } },
            allowPositionals: true,
            strict: true,
        })
        return { values: values as ParsedFlags["values"], positionals }
    } catch (e) {
        const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "")
        throw new UsageError(`${program(command)}: ${message} (see '${program(command)} --help')`)
    }
}

/**
 * A command's flags: `undefined` when --help was asked (`help` is printed), else the parsed
 * flags; more than `maxPositionals` positional arguments is a usage mistake.
 */
export function commandFlags(
    command: string,
    argv: string[],
    spec: FlagSpec,
    help: string,
    maxPositionals = 0,
): ParsedFlags | undefined {
    const flags = parseFlags(command, argv, spec)
    if (flags.values.help) {
        console.log(help)
        return undefined
    }
    const extra = flags.positionals[maxPositionals]
    if (extra !== undefined)
        throw new UsageError(
            `${program(command)}: unexpected argument '${extra}' (see '${program(command)} --help')`,
        )
    return flags
}

/** A whole number flag within [min, max], or `fallback` when absent. */
export function wholeFlag(
    command: string,
    flags: ParsedFlags,
    name: string,
    fallback: number,
    min: number,
    max: number,
): number {
    const raw = flags.values[name]
    if (raw === undefined) return fallback
    const text = String(raw)
    const n = Number(text)
    if (text.trim() === "" || !Number.isInteger(n) || n < min || n > max)
        throw new UsageError(
            `${program(command)}: --${name} expects a whole number from ${min} to ${max}, got '${text}'`,
        )
    return n
}

/** A broker URL flag: mqtt:// or mqtts:// with a host. */
export function brokerFlag(command: string, flags: ParsedFlags, name = "broker"): URL | undefined {
    const raw = flags.values[name]
    if (raw === undefined) return undefined
    return brokerUrl(command, name, String(raw))
}

/**
 * A repeatable broker flag (`multiple: true` in the spec): every node of one broker, in
 * the order given, each mqtt:// or mqtts:// with a host, all with the same scheme (a
 * client reaches every node the same way). Empty when the flag is absent.
 */
export function brokerFlags(command: string, flags: ParsedFlags, name = "broker"): URL[] {
    const raw = flags.values[name]
    const texts = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]
    const urls = texts.map(text => brokerUrl(command, name, text))
    const mixed = urls.find(u => u.protocol !== urls[0].protocol)
    if (mixed)
        throw new UsageError(
            `${program(command)}: --${name} mixes ${urls[0].protocol}// (${urls[0].host}) and ${mixed.protocol}// (${mixed.host}); every node of one broker is reached the same way`,
        )
    return urls
}

function brokerUrl(command: string, name: string, raw: string): URL {
    let url: URL
    try {
        // host:1883 parses as a URL of scheme "host:": it is a host and port without one.
        if (!raw.includes("://")) throw new Error(raw)
        url = new URL(raw)
    } catch {
        throw new UsageError(
            `${program(command)}: --${name} expects a URL like mqtt://host:1883, got '${raw}'`,
        )
    }
    if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:")
        throw new UsageError(
            `${program(command)}: --${name} must use mqtt:// or mqtts://, got '${url.protocol}//'`,
        )
    if (!url.hostname) throw new UsageError(`${program(command)}: --${name} has no host: '${raw}'`)
    return url
}

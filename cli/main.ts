/**
 * `fieldlink` — one command line for the toolkit. Each sub-command lives in its own
 * module, imported only when it runs; this file only dispatches and turns errors into
 * exit codes: 0 success, 1 failure at run time, 2 a usage mistake.
 */
import { exitCodeOf } from "@fieldlink/lib/cli/run"
import { packageOf } from "@fieldlink/lib/package-info"

interface Command {
    summary: string
    /** Loaded on demand: `fieldlink gateway` loads the gateway and nothing else. */
    load(): Promise<(argv: string[]) => Promise<number>>
}

const COMMANDS: Record<string, Command> = {
    init: {
        summary: "start your own device project (src/main.ts on the fieldlink-firmware library)",
        load: async () => (await import("./init.js")).initCommand,
    },
    build: {
        summary: "compile your project's program (or the stock firmware) to bytecode",
        load: async () => (await import("./build.js")).buildCommand,
    },
    gateway: {
        summary: "bridge devices on serial ports to an MQTT broker, with a will for every device",
        load: async () => (await import("fieldlink-gateway/command")).gatewayCommand,
    },
    boards: {
        summary: "list the supported boards (their profiles in boards/)",
        load: async () => (await import("./boards.js")).boardsCommand,
    },
    flash: {
        summary: "build, bundle and write the firmware to a board, then wait for it on the broker",
        load: async () => (await import("./flash.js")).flashCommand,
    },
    dashboard: {
        summary: "serve a live web page of the fleet: status, readings, charts, gateways",
        load: async () => (await import("@fieldlink/dashboard/command")).dashboardCommand,
    },
    homeassistant: {
        summary: "announce the fleet to Home Assistant (MQTT discovery)",
        load: async () => (await import("@fieldlink/homeassistant/command")).homeAssistantCommand,
    },
    monitor: {
        summary: "show a board's USB log, with notes on why it is or is not online",
        load: async () => (await import("./monitor.js")).monitorCommand,
    },
    "broker-check": {
        summary: "check that a broker (or each node of a cluster) keeps the semantics fieldlink relies on",
        load: async () => (await import("./broker-check.js")).brokerCheckCommand,
    },
    sim: {
        summary: "run simulated boards (the real firmware in the DeviceScript VM) against a broker",
        load: async () => (await import("./sim.js")).simCommand,
    },
}

function usage(): string {
    const width = Math.max(...Object.keys(COMMANDS).map(n => n.length))
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    return [
        "usage: fieldlink <command> [flags]",
        "",
        "commands:",
        ...lines,
        "",
        "'fieldlink <command> --help' describes a command's flags; 'fieldlink --version' prints the version.",
    ].join("\n")
}

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
        console.log(usage())
        return name === undefined ? 2 : 0
    }
    if (argv.length === 1 && (name === "--version" || name === "-V")) {
        console.log(packageOf(import.meta.url).version)
        return 0
    }
    const command = COMMANDS[name]
    if (!command) {
        console.error(`fieldlink: unknown command '${name}'\n\n${usage()}`)
        return 2
    }
    return exitCodeOf(`fieldlink ${name}`, async () => (await command.load())(rest))
}

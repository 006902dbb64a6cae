/**
 * `fieldlink` — one command line for the toolkit. Each sub-command lives in its own
 * module; this file only dispatches and turns errors into exit codes:
 * 0 success, 1 failure at run time, 2 a usage mistake.
 */
import { UsageError } from "./errors"
import { boardsCommand } from "./boards"
import { buildCommand } from "./build"
import { dashboardCommand } from "../dashboard/command"
import { flashCommand } from "./flash"
import { gatewayCommand } from "../gateway/command"
import { homeAssistantCommand } from "../homeassistant/command"
import { simCommand } from "./sim"

interface Command {
    summary: string
    run(argv: string[]): Promise<number>
}

const COMMANDS: Record<string, Command> = {
    build: { summary: "compile the sensor firmware (DeviceScript) to bytecode", run: buildCommand },
    gateway: { summary: "bridge devices on serial ports to an MQTT broker, with a will for every device", run: gatewayCommand },
    boards: { summary: "list the supported boards (their profiles in boards/)", run: boardsCommand },
    flash: { summary: "build, bundle and write the firmware to a board, then wait for it on the broker", run: flashCommand },
    dashboard: { summary: "serve a live web page of the fleet: status, readings, charts, gateways", run: dashboardCommand },
    homeassistant: { summary: "announce the fleet to Home Assistant (MQTT discovery)", run: homeAssistantCommand },
    sim: { summary: "run simulated boards (the real firmware in the DeviceScript VM) against a broker", run: simCommand },
}

function usage(): string {
    const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length))
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    return ["usage: fieldlink <command> [flags]", "", "commands:", ...lines, "", "'fieldlink <command> --help' describes a command's flags."].join("\n")
}

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
        console.log(usage())
        return name === undefined ? 2 : 0
    }
    const command = COMMANDS[name]
    if (!command) {
        console.error(`fieldlink: unknown command '${name}'\n\n${usage()}`)
        return 2
    }
    try {
        return await command.run(rest)
    } catch (e) {
        if (e instanceof UsageError) {
            console.error(e.message)
            return 2
        }
        console.error(`fieldlink ${name}: ${(e as Error).message}`)
        return 1
    }
}

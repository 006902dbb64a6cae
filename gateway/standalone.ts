/**
 * `fieldlink-gateway`: the gateway installed on its own (e.g. on a Raspberry Pi), with
 * exactly the flags, configuration file and behaviour of `fieldlink gateway`, plus
 * `--version`. Its bin (bin/fieldlink-gateway.js) runs this.
 */
import { exitCodeOf } from "@fieldlink/lib/cli/run"
import { packageOf } from "@fieldlink/lib/package-info"
import { gatewayCommand } from "./command.js"

export async function runStandalone(argv: string[]): Promise<number> {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
        console.log(packageOf(import.meta.url).version)
        return 0
    }
    return exitCodeOf("fieldlink-gateway", () => gatewayCommand(argv, "fieldlink-gateway"))
}

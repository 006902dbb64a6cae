#!/usr/bin/env node
// `fieldlink-gateway`: the gateway installed on its own (e.g. on a Raspberry Pi), with
// exactly the flags, configuration file and behaviour of `fieldlink gateway`.
import { exitCodeOf } from "@fieldlink/lib/cli/run"
import { packageOf } from "@fieldlink/lib/package-info"
import { gatewayCommand } from "../command.js"

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    console.log(packageOf(import.meta.url).version)
} else {
    process.exitCode = await exitCodeOf("fieldlink-gateway", () => gatewayCommand(argv))
}

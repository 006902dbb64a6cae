#!/usr/bin/env node
// The `fieldlink` command (compiled JavaScript: nothing is compiled at start-up).
import { packageOf } from "@fieldlink/lib/package-info"
import { main } from "../main.js"

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) console.log(packageOf(import.meta.url).version)
else process.exitCode = await main(argv)

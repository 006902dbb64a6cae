#!/usr/bin/env node
// The `fieldlink` command. Sources are TypeScript, loaded through tsx so that the same
// files run in development, in CI and on a Raspberry Pi without a separate build step.
import { register } from "tsx/esm/api"

register()
const { main } = await import("../cli/main.ts")
process.exitCode = await main(process.argv.slice(2))

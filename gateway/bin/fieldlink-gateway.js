#!/usr/bin/env node
// The `fieldlink-gateway` command: the compiled JavaScript in ../dist (nothing is
// compiled at start-up). Plain JavaScript itself, so that npm can link it before the
// first build.
import { existsSync } from "node:fs"

const standalone = new URL("../dist/standalone.js", import.meta.url)
if (!existsSync(standalone)) {
    console.error("fieldlink-gateway: this checkout is not built yet: run `npm run build` first")
    process.exit(1)
}
const { runStandalone } = await import(standalone.href)
process.exitCode = await runStandalone(process.argv.slice(2))

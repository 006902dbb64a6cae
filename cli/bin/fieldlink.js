#!/usr/bin/env node
// The `fieldlink` command: the compiled JavaScript in ../dist (nothing is compiled at
// start-up). Plain JavaScript itself, so that npm can link it before the first build.
import { existsSync } from "node:fs"

const main = new URL("../dist/main.js", import.meta.url)
if (!existsSync(main)) {
    console.error("fieldlink: this checkout is not built yet: run `npm run build` first")
    process.exit(1)
}
const { main: run } = await import(main.href)
process.exitCode = await run(process.argv.slice(2))

/**
 * The package a module belongs to: the nearest folder above it with a package.json.
 * The same answer from a package's TypeScript sources and from its compiled `dist/`,
 * in a checkout and once installed, so data files next to package.json are found alike.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export interface PackageInfo {
    /** The folder holding package.json. */
    root: string
    name: string
    version: string
}

/** `moduleUrl`: the caller's `import.meta.url`. */
export function packageOf(moduleUrl: string): PackageInfo {
    const start = dirname(fileURLToPath(moduleUrl))
    for (let dir = start; ; dir = dirname(dir)) {
        const file = join(dir, "package.json")
        if (existsSync(file)) {
            const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string }
            return { root: dir, name: String(pkg.name), version: String(pkg.version) }
        }
        if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`)
    }
}

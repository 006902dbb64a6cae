// Only for the checkout as it was before the packages (the "before" figures): it runs its
// TypeScript through tsx, and tsx's esbuild starts esbuild's native binary by its path,
// which this kernel cannot do for an arm64 binary. On the emulated Node that one child
// is given the x86-64 esbuild of the same version instead (ESBUILD_BINARY_PATH), so its
// compile steps run natively and the "before" start-up is, if anything, flattered.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs"
import path from "node:path"
import { CACHE_DIR } from "./arm64-node.js"

/** Environment for running the whole-checkout package installed in `prefix` on the emulated Node. */
export function esbuildEnv(prefix: string): Record<string, string> {
    const manifest = path.join(
        prefix,
        "lib",
        "node_modules",
        "fieldlink",
        "node_modules",
        "esbuild",
        "package.json",
    )
    if (!existsSync(manifest)) return {}
    const version = (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version
    const home = path.join(CACHE_DIR, `esbuild-linux-x64-${version}`)
    const binary = path.join(home, "bin", "esbuild")
    if (!existsSync(binary)) {
        mkdirSync(CACHE_DIR, { recursive: true })
        const work = mkdtempSync(path.join(CACHE_DIR, "download-"))
        try {
            execFileSync(
                "npm",
                ["pack", `@esbuild/linux-x64@${version}`, "--pack-destination", work, "--silent"],
                { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 },
            )
            execFileSync("tar", ["-xzf", path.join(work, `esbuild-linux-x64-${version}.tgz`), "-C", work], {
                stdio: "inherit",
            })
            if (!existsSync(home)) renameSync(path.join(work, "package"), home)
        } finally {
            rmSync(work, { recursive: true, force: true })
        }
    }
    return { ESBUILD_BINARY_PATH: binary }
}

// A real browser for tests: Debian's chromium, headless, driven by playwright-core (no
// browser download), with a fresh profile per launch that is removed afterwards.
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import type { ExecutionContext } from "ava"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import { requireBinaries, type Availability } from "./binaries.js"

/** Whether chromium can be found (throws on CI when missing: install the Debian package chromium). */
export function browserAvailable(): Availability {
    return requireBinaries(["chromium"], "chromium")
}

const FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

/** Launches chromium with a fresh --user-data-dir; closed and removed in the test's teardown. */
export async function openPage(t: ExecutionContext): Promise<Page> {
    const available = browserAvailable()
    if (!available.ok) throw new Error(available.reason)
    const profile = mkdtempSync(path.join(os.tmpdir(), "fieldlink-chromium-"))
    // ava runs teardowns last-registered first: the browser closes, then its profile goes.
    t.teardown(() => rmSync(profile, { recursive: true, force: true }))
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
        executablePath: available.paths.chromium,
        headless: true,
        args: FLAGS,
        viewport: { width: 1280, height: 900 },
    })
    t.teardown(() => context.close().catch(() => undefined))
    const page = context.pages()[0] ?? (await context.newPage())
    page.on("pageerror", e => t.log(`page error: ${e.message}`))
    page.on("console", m => {
        if (m.type() === "error") t.log(`page console: ${m.text()}`)
    })
    return page
}

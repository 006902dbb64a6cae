/**
 * For maintainers: downloads every runtime image of the pinned devicescript-esp32
 * release and prints its sha256 in the form boards/runtime-release.ts records it.
 * Run it twice, from two networks, and paste the lines only when both runs agree.
 *
 *     npx tsx scripts/runtime-hashes.ts
 */
import { createHash } from "node:crypto"
import { releaseAssetUrl, RUNTIME_IMAGE_SHA256, RUNTIME_RELEASE } from "../boards/runtime-release.js"

async function main(): Promise<number> {
    console.log(`// devicescript-esp32 ${RUNTIME_RELEASE}, downloaded ${new Date().toISOString()}`)
    let failed = 0
    for (const file of Object.keys(RUNTIME_IMAGE_SHA256)) {
        const url = releaseAssetUrl(file)
        try {
            const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(120_000) })
            if (!response.ok) throw new Error(`HTTP ${response.status}`)
            const bytes = new Uint8Array(await response.arrayBuffer())
            const hash = createHash("sha256").update(bytes).digest("hex")
            const recorded = RUNTIME_IMAGE_SHA256[file]
            const note =
                recorded === undefined
                    ? ""
                    : recorded === hash
                      ? " // as recorded"
                      : ` // DIFFERS from the recorded ${recorded}`
            console.log(`    "${file}": "${hash}",${note}`)
        } catch (e) {
            failed++
            console.error(`${url}: ${(e as Error).message}`)
        }
    }
    return failed === 0 ? 0 : 1
}

main().then(code => process.exit(code))

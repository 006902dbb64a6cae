/** fieldlink's own version (its package.json), sent to Home Assistant as the discovery origin. */
import { packageOf } from "@fieldlink/lib/package-info"

export function fieldlinkVersion(): string {
    return packageOf(import.meta.url).version
}

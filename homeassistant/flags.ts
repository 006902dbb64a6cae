/** The Home Assistant flags shared by `fieldlink homeassistant`, `dashboard` and `sim`. */
import { UsageError } from "@fieldlink/lib/cli/errors"
import type { ParsedFlags } from "@fieldlink/lib/cli/flags"
import { DEFAULT_DISCOVERY_PREFIX } from "./discovery.js"

export const HA_FLAGS = {
    "ha-prefix": { type: "string" },
} as const

/** A discovery prefix: one or more topic levels, without wildcards, `$` or empty levels. */
export function discoveryPrefixFlag(command: string, flags: ParsedFlags): string {
    const raw = flags.values["ha-prefix"]
    if (raw === undefined) return DEFAULT_DISCOVERY_PREFIX
    const prefix = String(raw)
    if (
        prefix === "" ||
        /[+#]/.test(prefix) ||
        prefix.startsWith("$") ||
        prefix.split("/").some(l => l === "")
    )
        throw new UsageError(
            `fieldlink ${command}: --ha-prefix '${prefix}' must be topic levels without +, #, a leading $ or empty levels (Home Assistant's default is '${DEFAULT_DISCOVERY_PREFIX}')`,
        )
    return prefix
}

/** --topic-root, checked the way `fieldlink sim` checks it. */
export function topicRootFlag(command: string, flags: ParsedFlags): string {
    const root = String(flags.values["topic-root"] ?? "fieldlink")
    if (root === "" || /[+#]/.test(root) || root.startsWith("$"))
        throw new UsageError(
            `fieldlink ${command}: --topic-root '${root}' must be a topic prefix without +, # or a leading $`,
        )
    return root
}

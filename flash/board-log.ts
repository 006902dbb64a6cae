/**
 * The lines a flashed board prints on its USB log that tell why it is not online, and
 * what each means. Pure; used by `fieldlink monitor` and `fieldlink flash --monitor`
 * to put a note under a line that matters, and by the "did not come online" message,
 * which lists them in the order a board prints them: storage, firmware, WiFi.
 */

/** The firmware's own line once its broker connection is up (firmware/src/device.ts). */
export const BOARD_ONLINE_LINE = /^fieldlink: online$/

export interface LogNote {
    /** Which part of the boot it belongs to. */
    stage: "storage" | "firmware" | "wifi"
    note: string
}

const NOTES: { match: RegExp; stage: LogNote["stage"]; note: string }[] = [
    {
        match: /fstor: formatting now/,
        stage: "storage",
        note: "the runtime found no storage it could mount and erased it: the program and settings written are gone. Flash again; if it repeats, the runtime image does not match the board's storage layout (see docs/flashing.md)",
    },
    {
        match: /fstor: mount failure/,
        stage: "storage",
        note: "the storage is damaged; the runtime will erase it. Flash again",
    },
    { match: /fstor: mounted/, stage: "storage", note: "storage found: the program and settings are there" },
    {
        match: /version mismatch/,
        stage: "firmware",
        note: "the program's bytecode version is not one this runtime loads: flash with fieldlink flash, which pins a matching runtime",
    },
    {
        match: /fieldlink: config error/,
        stage: "firmware",
        note: "a setting is wrong: fix it in firmware/.env.local or the flags and flash again",
    },
    {
        match: /fieldlink: device \S+ fw \S+ broker /,
        stage: "firmware",
        note: "the firmware started with its settings",
    },
    {
        match: /wifi: not joined/,
        stage: "wifi",
        note: "the board cannot join that network: check wifi_ssid and wifi_pass; ESP32 boards join 2.4 GHz networks only",
    },
    {
        match: /wifi: joined/,
        stage: "wifi",
        note: "WiFi is up: if the board still does not come online, its network does not reach the broker (or TLS fails)",
    },
]

export function noteFor(line: string): LogNote | undefined {
    const hit = NOTES.find(n => n.match.test(line))
    return hit ? { stage: hit.stage, note: hit.note } : undefined
}

/** What to look for on the log, in order, for the "did not come online" message. */
export function whatToLookFor(ssid: unknown): string[] {
    return [
        `1. storage: "fstor: mounted" is good; "fstor: formatting now" or "fstor: mount failure" means the runtime erased what was written (flash again)`,
        `2. the firmware's "fieldlink:" lines: "fieldlink: device <id> fw ... broker <host>:<port>" says it started with its settings; "fieldlink: config error" names a wrong setting; no "fieldlink:" line at all means the program did not start (look for "version mismatch")`,
        `3. WiFi: "wifi: joining '...'" then "wifi: joined '...'"; "wifi: not joined" means check the WiFi name and password (wifi_ssid ${JSON.stringify(ssid)}); ESP32 boards join 2.4 GHz networks only`,
    ]
}

/**
 * `fieldlink flash`, start to end: from a profile and a blank board to the board's own
 * `online` seen on the broker. The cheap checks come first (profile, settings, esptool,
 * port), so a mistake costs seconds, not a build and a write.
 *
 *   profile → settings → esptool + port → runtime image → firmware build → MAC (device id)
 *   → watch the broker → bundle (checked by reading it back) → esptool write → birth
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brokerAddressText, parseBrokerHosts } from "@fieldlink/protocol/broker-hosts"
import { SETTING_KEYS } from "@fieldlink/protocol/settings"
import { BOARD_SETTING_KEYS } from "@fieldlink/protocol/board-keys"
import { idError } from "@fieldlink/protocol/mqtt"
import { loadAllProfiles, loadProfile, type BoardProfile, type SettingValue } from "@fieldlink/boards/profile"
import { BirthWatch } from "./birth.js"
import { idInUseWarning, retainedStatus } from "./id-in-use.js"
import { BOARD_ONLINE_LINE, whatToLookFor } from "./board-log.js"
import { brokerWarnings } from "./broker-warnings.js"
import type { FirmwareProject } from "@fieldlink/devs-host/firmware"
import { buildBoardFirmware } from "./build.js"
import { bundle } from "./bundle.js"
import { FlashError } from "./errors.js"
import {
    checkEsptoolVersion,
    diagnose,
    findEsptool,
    parseMac,
    parseProgress,
    readMacArgs,
    runEsptool,
    VERSION_ARGS,
    writeFlashArgs,
    type Esptool,
    type Target,
} from "./esptool.js"
import { checkPortAccess, choosePort, describePort, listPorts } from "./ports.js"
import { startMonitor, type Monitor } from "./monitor.js"
import { Progress, type ProgressSink } from "./progress.js"
import { obtainRuntime } from "./runtime.js"
import { composeSettings, firmwareEnvFiles, SECRET_SETTINGS, type SettingFlags } from "./settings.js"

export interface FlashOptions extends SettingFlags {
    board: string
    port?: string
    runtimeImage?: string
    refreshRuntime?: boolean
    baud: number
    esptool?: string
    /** Seconds to wait for the birth; 0 = do not wait. */
    timeoutS: number
    /** The program to flash (default: the stock firmware); the CLI passes the project of the current folder. */
    project?: FirmwareProject
    /** Write the bundled image to this file instead of to a board. */
    output?: string
    /** Show the board's USB log from the write until the birth (or the deadline). */
    monitor?: boolean
}

export interface FlashUi {
    /** A step, as it happens. */
    say(line: string): void
    /** Where the progress bar goes. */
    progress: ProgressSink
}

export interface FlashResult {
    deviceId?: string
    imageBytes: number
    /** Seconds from the end of the write to the birth; undefined when not waited for. */
    onlineAfterS?: number
    /** Why the birth was not awaited: a serial board (a gateway's), or --timeout 0. */
    noWait?: "serial" | "timeout 0"
}

/** Settings shown as key=value (origin), secrets masked. */
export function describeSettings(
    settings: Readonly<Record<string, SettingValue>>,
    origin: Readonly<Record<string, string>>,
): string[] {
    return Object.keys(settings)
        .sort()
        .map(k => `${k}=${SECRET_SETTINGS.includes(k) ? "***" : JSON.stringify(settings[k])} (${origin[k]})`)
}

/** The device id made from the board's MAC: `<prefix>-<last 3 bytes>`, as ESPHome names boards. */
export function macDeviceId(prefix: string, mac: string): string {
    return `${prefix}-${mac.replace(/:/g, "").slice(-6)}`
}

/**
 * The broker as the board will reach it, from the settings (already checked). With a
 * list in mqtt_host, its first node: the nodes share retained status, so the birth shows
 * on any of them.
 */
export function brokerUrl(settings: Readonly<Record<string, SettingValue>>): URL {
    const tls = settings[SETTING_KEYS.tls] === true || settings[SETTING_KEYS.tls] === "true"
    const url = new URL(`${tls ? "mqtts" : "mqtt"}://localhost`)
    const port = Number(settings[SETTING_KEYS.brokerPort] ?? (tls ? 8883 : 1883))
    const first = parseBrokerHosts(String(settings[SETTING_KEYS.brokerHost] ?? "mqtt.local"), port).brokers[0]
    const host = first?.host ?? "mqtt.local"
    // A URL takes an IPv6 address in brackets only (a bare one is ignored, leaving localhost).
    url.hostname = host.includes(":") ? `[${host}]` : host
    url.port = String(first?.port ?? port)
    if (settings[SETTING_KEYS.username] !== undefined)
        url.username = encodeURIComponent(String(settings[SETTING_KEYS.username]))
    if (settings[SETTING_KEYS.password] !== undefined)
        url.password = encodeURIComponent(String(settings[SETTING_KEYS.password]))
    return url
}

function profilesFor(arch: string): string[] {
    return loadAllProfiles()
        .profiles.filter(p => p.chip === arch)
        .map(p => p.id)
}

/**
 * A board in ROM download mode over native USB (ESP32-S2, -S3) cannot be reset by
 * esptool: it writes and verifies, then fails to leave download mode.
 */
export function needsManualReset(output: string): boolean {
    return (
        /Hash of data verified/i.test(output) &&
        /download mode using GPIO0|reset the chip manually|press the RESET button/i.test(output)
    )
}

async function esptoolStep(
    tool: Esptool,
    args: string[],
    profile: BoardProfile,
    port: string,
    onLine?: (line: string) => void,
) {
    const run = await runEsptool(tool, args, onLine)
    if (run.code !== 0 && !needsManualReset(run.output))
        throw diagnose(run.output, run.code, {
            port,
            expectedChip: profile.chipName ?? "",
            boardId: profile.id,
            profilesFor,
        })
    return run.output
}

export async function flash(o: FlashOptions, ui: FlashUi): Promise<FlashResult> {
    const profile = loadProfile(o.board)
    if (profile.simulator)
        throw new FlashError(`the ${profile.id} profile is the simulator's: there is no board to flash`, [
            "run the firmware in the simulator with: fieldlink sim",
        ])
    ui.say(
        `board: ${profile.name} (${profile.id}; DeviceScript ${profile.devicescriptBoard}, ${profile.chipName})`,
    )
    const envFiles = firmwareEnvFiles(o.project?.dir)
    // Checked now, before anything slow; the device id may still come from the MAC.
    let composed = composeSettings(profile, envFiles, o)
    // A serial board talks to a fieldlink gateway, not to the broker: no WiFi, no birth to await here.
    const serial = composed.settings[SETTING_KEYS.transport] === "serial"
    if (serial)
        ui.say(
            `transport serial (${composed.origin[SETTING_KEYS.transport]}): the board speaks the line protocol on its log UART for a fieldlink gateway (docs/gateway.md); no WiFi, and no birth to wait for here`,
        )
    if (composed.settings[BOARD_SETTING_KEYS.wifiSsid] === undefined && !o.output && !serial)
        throw new FlashError("no WiFi network given: a freshly flashed board knows none", [
            "pass --wifi-ssid NAME --wifi-password PASSWORD",
            "or put wifi_ssid=NAME and wifi_pass=PASSWORD in firmware/.env.local",
        ])
    for (const key of composed.unknown)
        ui.say(
            `note: setting ${key} (${composed.origin[key]}) is not one the firmware reads; it is written anyway`,
        )
    const broker = o.broker ?? brokerUrl(composed.settings)
    if (!serial) for (const line of await brokerWarnings(broker)) ui.say(line)

    if (o.deviceId !== undefined) {
        const topicRoot = String(composed.settings[SETTING_KEYS.topicRoot] ?? "fieldlink")
        const warning = idInUseWarning(
            o.deviceId,
            topicRoot,
            await retainedStatus({ broker, topicRoot, deviceId: o.deviceId }),
        )
        if (warning) ui.say(warning)
    }

    let tool: Esptool | undefined
    let target: Target | undefined
    if (!o.output) {
        tool = findEsptool(o.esptool)
        const tooOld = checkEsptoolVersion((await runEsptool(tool, VERSION_ARGS)).output, tool)
        if (tooOld) throw tooOld
        const listing = await listPorts()
        if (listing.note) ui.say(`note: ${listing.note}`)
        const port = choosePort(listing, o.port)
        checkPortAccess(port.path)
        ui.say(`port: ${describePort(port)}`)
        target = { chip: profile.chip!, port: port.path, baud: o.baud }
    }

    const runtime = await obtainRuntime({
        profile,
        file: o.runtimeImage,
        refresh: o.refreshRuntime,
        log: ui.say,
    })
    ui.say(`runtime: ${runtime.source} (${runtime.bytes.length} bytes)`)
    for (const note of runtime.notes) ui.say(note)
    const started = Date.now()
    const firmware = await buildBoardFirmware(profile, { project: o.project })
    ui.say(
        `firmware: ${firmware.bytecode.length} bytes of bytecode${firmware.cached ? " (cached build)" : ` built in ${Date.now() - started} ms`}; drivers: ${[...profile.sensors, ...profile.gpio].map(s => s.label).join(", ") || "none"}`,
    )

    let deviceId = composed.settings[SETTING_KEYS.deviceId] as string | undefined
    if (deviceId === undefined && tool && target) {
        ui.say(`reading the board's MAC address (${tool.display} read_mac)`)
        const mac = parseMac(await esptoolStep(tool, readMacArgs(target), profile, target.port))
        if (!mac)
            throw new FlashError(`esptool did not report the board's MAC address`, [
                "pass the board's name with --device-id ID",
            ])
        deviceId = macDeviceId(profile.idPrefix, mac)
        const problem = idError(deviceId)
        if (problem)
            throw new FlashError(`the device id ${deviceId} made from the MAC is not valid: ${problem}`, [
                "pass one with --device-id ID",
            ])
        composed = composeSettings(profile, envFiles, { ...o, deviceId })
        composed.origin[SETTING_KEYS.deviceId] = `from the MAC ${mac}`
        ui.say(`device id: ${deviceId} (from MAC ${mac}; --device-id overrides)`)
    }
    for (const line of describeSettings(composed.settings, composed.origin)) ui.say(`  ${line}`)

    // Subscribed before the write so the birth cannot be missed; an unreachable broker
    // is found now, before the slow steps.
    const topicRoot = String(composed.settings[SETTING_KEYS.topicRoot] ?? "fieldlink")
    const watch =
        !o.output && !serial && o.timeoutS > 0
            ? await BirthWatch.start({ broker, topicRoot, deviceId: deviceId!, connectTimeoutMs: 10_000 })
            : undefined
    try {
        return await writeAndWait(o, ui, {
            profile,
            composed,
            firmware: firmware.bytecode,
            runtime: runtime.bytes,
            deviceId,
            tool,
            target,
            watch,
            broker,
        })
    } finally {
        await watch?.close()
    }
}

interface Prepared {
    profile: BoardProfile
    composed: ReturnType<typeof composeSettings>
    firmware: Uint8Array
    runtime: Uint8Array
    deviceId: string | undefined
    tool: Esptool | undefined
    target: Target | undefined
    watch: BirthWatch | undefined
    broker: URL
}

async function writeAndWait(o: FlashOptions, ui: FlashUi, p: Prepared): Promise<FlashResult> {
    const { profile, composed, deviceId, watch } = p
    const layout = profile.layout!
    const image = await bundle({
        runtime: p.runtime,
        program: p.firmware,
        settings: composed.settings,
        layout,
    })
    const offset = "0x" + layout.binFlashOffset.toString(16)
    ui.say(
        `image: ${image.length} bytes for ${offset}; program and ${Object.keys(composed.settings).length} settings at 0x${layout.fstorOffset.toString(16)}, read back and checked`,
    )
    if (o.output) {
        await writeFile(o.output, image)
        ui.say(
            `wrote ${o.output}; flash it with: esptool --chip ${profile.chip} write_flash ${offset} ${o.output}`,
        )
        if (deviceId === undefined)
            ui.say("note: no --device-id: the board will name itself by its hardware id")
        return { deviceId, imageBytes: image.length }
    }
    const output = await writeImage(ui, profile, p.tool!, p.target!, image)
    ui.say("written and verified by esptool")
    watch?.arm()
    if (needsManualReset(output))
        ui.say(
            "press RESET on the board now: it was in download mode over USB, which esptool cannot leave by itself",
        )
    if (!watch)
        return {
            deviceId,
            imageBytes: image.length,
            noWait: composed.settings[SETTING_KEYS.transport] === "serial" ? "serial" : "timeout 0",
        }
    ui.say(
        `waiting up to ${o.timeoutS} s for ${deviceId} to come online (${watch.statusTopic} on ${p.broker.host})`,
    )
    const monitor = o.monitor ? await monitorLog(ui, p.target!.port, profile.log?.baud ?? 115200) : undefined
    // Once online, the log up to the board's own "online" line is shown: the lines before it
    // (its settings, the broker it tried) are what a user reads when something looks wrong.
    const birth = await watch
        .wait(o.timeoutS * 1000)
        .finally(() => monitor?.close({ until: BOARD_ONLINE_LINE }))
    if (!birth) throw notOnline(deviceId!, o.timeoutS, composed.settings, p.target!.port, profile)
    const info = birth.info
        ? ` (fw ${String(birth.info.fw)}, board ${String(birth.info.board)}, transport ${String(birth.info.transport)})`
        : ""
    ui.say(
        `${deviceId} is online: ${watch.statusTopic} = online after ${(birth.afterMs / 1000).toFixed(1)} s${info}`,
    )
    return { deviceId, imageBytes: image.length, onlineAfterS: birth.afterMs / 1000 }
}

/** The board's USB log while waiting, each line as "board| ..."; a port that does not open is a note, not a failure. */
async function monitorLog(ui: FlashUi, port: string, baud: number): Promise<Monitor | undefined> {
    try {
        const monitor = await startMonitor({ path: port, baud, print: line => ui.say(`board| ${line}`) })
        ui.say(`showing the board's log from ${port} at ${baud} baud`)
        return monitor
    } catch (error) {
        ui.say(
            `note: cannot show the board's log: ${port} did not open (${(error as Error).message}); try fieldlink monitor --port ${port}`,
        )
        return undefined
    }
}

/** esptool write_flash of the image (from a temporary file) with the progress bar; returns esptool's output. */
async function writeImage(
    ui: FlashUi,
    profile: BoardProfile,
    tool: Esptool,
    target: Target,
    image: Uint8Array,
): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "fieldlink-flash-"))
    const progress = new Progress(ui.progress, "  writing")
    try {
        const file = join(dir, `bundle-${profile.id}.bin`)
        await writeFile(file, image)
        ui.say(`writing with ${tool.display} at ${target.baud} baud`)
        return await esptoolStep(
            tool,
            writeFlashArgs(target, profile.layout!.binFlashOffset, file),
            profile,
            target.port,
            line => {
                const percent = parseProgress(line)
                if (percent !== undefined) progress.update(percent)
            },
        )
    } finally {
        progress.end()
        await rm(dir, { recursive: true, force: true })
    }
}

function notOnline(
    deviceId: string,
    timeoutS: number,
    settings: Readonly<Record<string, SettingValue>>,
    port: string,
    profile: BoardProfile,
): FlashError {
    const brokerPort = Number(settings[SETTING_KEYS.brokerPort] ?? 1883)
    const host = parseBrokerHosts(String(settings[SETTING_KEYS.brokerHost]), brokerPort)
        .brokers.map(brokerAddressText)
        .join(" or ")
    const log = profile.log
        ? `its log (UART TX GPIO${profile.log.tx}, ${profile.log.baud} baud; on most boards the USB port ${port})`
        : `its log on the USB port ${port}`
    return new FlashError(`the board was written, but ${deviceId} did not come online within ${timeoutS} s`, [
        `read ${log}: fieldlink monitor --port ${port} (or flash again with --monitor), then press RESET. Look, in this order, at:`,
        ...whatToLookFor(settings[BOARD_SETTING_KEYS.wifiSsid]).map(line => `  ${line}`),
        `if all three look right, the board's network does not reach the broker at ${host}: use an IP address the board can reach (a .local name does not resolve on the board)`,
        "boards with native USB may need RESET pressed once after flashing",
        "wait longer with --timeout S",
    ])
}

/** `fieldlink boards`: the supported boards, from their profiles in boards/. */
import { relative } from "node:path"
import { DRIVERS, GPIO_ROLES, hex } from "@fieldlink/boards/drivers"
import { loadAllProfiles, loadProfile, UnknownBoardError, type BoardProfile } from "@fieldlink/boards/profile"
import { assetFileName, RUNTIME_IMAGE_SHA256 } from "@fieldlink/boards/runtime-release"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { parseFlags } from "@fieldlink/lib/cli/flags"

const HELP = `usage: fieldlink boards [ID] [--json]

Lists the board profiles (boards/*.yaml): chip, sensors and their pins, status LED and
log UART. With an ID, shows that profile in full. --json prints the resolved profiles.
A profile that does not check out is listed with its problems (exit 1).

Adding your own board: copy the profile closest to it into your project (say
my-board.yaml, keeping its first line, the schema reference), edit it, and name it in
your package.json ("fieldlink": { "board": "my-board.yaml" }) or pass --board
my-board.yaml to build and flash; 'fieldlink boards my-board.yaml' checks it.
In a profile:
  devicescript_board  the DeviceScript board id (chip, runtime image, pin labels)
  i2c: { sda, scl }   the I2C bus of your sensors
  sensors:            I2C drivers started for your program: ${Object.keys(DRIVERS).join(", ")}
                      e.g. - { driver: bme680, address: 0x77 }
  gpio:               roles on one pin started for your program:
${Object.entries(GPIO_ROLES)
    .map(([role, r]) => `                        ${role.padEnd(14)} ${r.binds}: ${r.part}`)
    .join("\n")}
                      e.g. - { role: relay, pin: 5 }
  status_led, log, settings   see the shipped profiles
The simulator serves your program's roles itself; the profile is for the real board.`

function pins(p: BoardProfile): string {
    return p.i2c ? `I2C SDA ${p.i2c.sda} SCL ${p.i2c.scl}` : "-"
}

function led(p: BoardProfile): string {
    return p.statusLed ? `GPIO${p.statusLed.pin} ${p.statusLed.type}` : "-"
}

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
    return rows.map(r =>
        r
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd(),
    )
}

function details(p: BoardProfile): string[] {
    const lines = [`${p.id}: ${p.name}`, `  profile        ${relative(process.cwd(), p.file) || p.file}`]
    if (p.url) lines.push(`  about          ${p.url}`)
    if (p.simulator) {
        lines.push("  target         the simulator (fieldlink sim); no hardware drivers")
    } else {
        const l = p.layout!
        lines.push(
            `  DeviceScript   ${p.devicescriptBoard} (${p.chipName})`,
            `  runtime        ${l.runtimeUrl ?? "none published: use --runtime-image"}`,
            ...(l.runtimeUrl
                ? [
                      `  runtime sha256 ${RUNTIME_IMAGE_SHA256[assetFileName(l.runtimeUrl)] ?? "not recorded yet: not downloaded by fieldlink; pass the file with --runtime-image (docs/flashing.md)"}`,
                  ]
                : []),
            `  flash          image at 0x${l.binFlashOffset.toString(16)}, program and settings at 0x${l.fstorOffset.toString(16)} (${l.fstorPages} × ${l.pageSize} bytes)`,
            `  I2C            ${p.i2c ? `SDA GPIO${p.i2c.sda}, SCL GPIO${p.i2c.scl}, ${p.i2c.khz} kHz` : "none"}`,
        )
        for (const s of p.sensors)
            lines.push(`  sensor         ${s.driver} at ${hex(s.address)}: ${s.provides.join(", ")}`)
        if (p.sensors.length === 0) lines.push("  sensors        none")
        for (const g of p.gpio)
            lines.push(
                `  gpio role      ${g.label}: binds ${GPIO_ROLES[g.role].binds}${g.name ? ` (role name ${g.name})` : ""}`,
            )
        lines.push(
            `  status LED     ${p.statusLed ? `GPIO${p.statusLed.pin} (${p.statusLed.type}${p.statusLed.clockPin !== undefined ? `, clock GPIO${p.statusLed.clockPin}` : ""}${p.statusLed.type === "mono" ? `, active ${p.statusLed.activeHigh ? "high" : "low"}` : ""})` : "none"}`,
            `  log UART       ${p.log ? `TX GPIO${p.log.tx} at ${p.log.baud} baud` : "none"}`,
            `  device ids     ${p.idPrefix}-<last 6 hex digits of the MAC> unless --device-id`,
        )
    }
    for (const [k, v] of Object.entries(p.settings)) lines.push(`  setting        ${k}=${JSON.stringify(v)}`)
    return lines
}

export async function boardsCommand(argv: string[]): Promise<number> {
    const flags = parseFlags("boards", argv, { json: { type: "boolean" } })
    if (flags.values.help) {
        console.log(HELP)
        return 0
    }
    if (flags.positionals.length > 1)
        throw new UsageError(
            `fieldlink boards: expected at most one board id, got ${flags.positionals.length}`,
        )
    const json = flags.values.json === true
    if (flags.positionals.length === 1) {
        let profile: BoardProfile
        try {
            profile = loadProfile(flags.positionals[0])
        } catch (error) {
            if (error instanceof UnknownBoardError) throw new UsageError(`fieldlink boards: ${error.message}`)
            throw error
        }
        console.log(json ? JSON.stringify(profile, null, 2) : details(profile).join("\n"))
        return 0
    }
    const { profiles, invalid } = loadAllProfiles()
    if (json) {
        console.log(JSON.stringify(profiles, null, 2))
    } else {
        const rows = [["board", "chip", "sensors", "pins", "status LED", "name"]]
        for (const p of profiles)
            rows.push([
                p.id,
                p.simulator ? "simulator" : (p.chipName ?? ""),
                p.simulator ? "simulated" : p.sensors.map(s => s.label).join(", ") || "-",
                p.simulator ? "-" : pins(p),
                p.simulator ? "-" : led(p),
                p.name,
            ])
        console.log(table(rows).join("\n"))
        console.log("\n'fieldlink boards ID' shows one in full; 'fieldlink flash --board ID' flashes one.")
    }
    for (const { id, error } of invalid)
        console.error(`\nfieldlink boards: the profile ${id} does not check out:\n${error.message}`)
    return invalid.length > 0 ? 1 : 0
}

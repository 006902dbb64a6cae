/**
 * fieldlink-firmware: the device library (see src/device.ts and docs/firmware-api.md).
 *
 *     import { device } from "fieldlink-firmware"
 *     const node = await device.start()
 *     node.telemetry({ every: 10_000 }, async () => ({ soil_pct: 41 }))
 */
export { device, FieldlinkNode } from "./src/device.js"
export type {
    Readings,
    TelemetryOptions,
    CommandOptions,
    CommandHandler,
    StartOptions,
} from "./src/device.js"
export { useBoard } from "./src/board/profile.js"
export type { BoardDriver } from "./src/board/profile.js"
export { FIRMWARE_VERSION } from "./src/version.js"

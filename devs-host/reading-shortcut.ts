/**
 * Answers the firmware's sensor reading gets without the round trip through jacdac-ts's bus.
 *
 * Every `await sensor.reading.read()` in the firmware sends a register get for `reading` to
 * the simulated sensor device; through the bus, jacdac-ts decodes the frame, finds the
 * device, the service and the register, asks the register for its value, builds the report,
 * processes its own report as if it had heard it, and only then hands it to the VM. At a
 * sample a second that path was a fifth of a board's CPU.
 *
 * Here a frame that holds nothing but such gets is answered from the same register server
 * with the same bytes: `REGISTER_PRE_GET` (which pulls the value from the sensor's `read()`,
 * with its clamping and error reporting, ./sensors), the register's packed `data`, a report
 * from the sensor device's identifier and service index (./jd-frame). Any other frame —
 * other registers, commands, sets, acknowledged or broadcast packets, other devices — goes
 * through the bus as before. The VM cannot tell the two apart; test/vm/reading-shortcut
 * compares the frames byte for byte.
 */
import { CMD_GET_REGISTER, deviceIdBytes, FrameFlag, readFrame, reportFrame } from "./jd-frame.js";
import { REGISTER_PRE_GET } from "./jacdac.js";

/** The `reading` register of the Sensor base service (0x101). */
export const REG_READING = 0x101;

/** The part of a jacdac-ts register server the shortcut uses. */
export interface ReadingRegister {
  /** Its packed value, refreshed by `REGISTER_PRE_GET` listeners. */
  readonly data: Uint8Array | undefined;
  emit(event: string): unknown;
}

export interface ReadingShortcutOptions {
  /** The sensor device's identifier, 16 hex digits. */
  deviceId: string;
  /** Its reading registers by service index. */
  readings: ReadonlyMap<number, ReadingRegister>;
  /**
   * Called once per report sent: the device counts what it sends between announces (the
   * count goes in its next announce), as jacdac-ts's own send path does.
   */
  onSent?: () => void;
}

export class ReadingShortcut {
  private readonly deviceId: Uint8Array;

  constructor(private readonly options: ReadingShortcutOptions) {
    this.deviceId = deviceIdBytes(options.deviceId);
  }

  /**
   * The reports answering `frame` when it holds only reading gets for this device (an
   * empty list when a register has no value yet: the bus would send nothing either);
   * undefined when the frame is anything else and must go through the bus.
   */
  answer(frame: Uint8Array): Uint8Array[] | undefined {
    // Cheap tests first: most frames (announces, other devices) fail on a byte or two.
    if (frame.length < 16 || frame[3] !== FrameFlag.Command) return undefined;
    for (let i = 0; i < 8; i++) if (frame[4 + i] !== this.deviceId[i]) return undefined;
    const parsed = readFrame(frame);
    if (!parsed || parsed.packets.length === 0) return undefined;
    const registers: Array<[number, ReadingRegister]> = [];
    for (const packet of parsed.packets) {
      const register = this.options.readings.get(packet.serviceIndex);
      if (!register || packet.serviceCommand !== (CMD_GET_REGISTER | REG_READING)) return undefined;
      registers.push([packet.serviceIndex, register]);
    }
    const reports: Uint8Array[] = [];
    for (const [serviceIndex, register] of registers) {
      register.emit(REGISTER_PRE_GET);
      const data = register.data;
      if (!data) continue;
      reports.push(reportFrame(this.deviceId, serviceIndex, CMD_GET_REGISTER | REG_READING, data));
      this.options.onSent?.();
    }
    return reports;
  }
}

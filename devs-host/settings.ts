/**
 * Per-board settings, delivered to the VM's own Settings service over Jacdac.
 *
 * Firmware reads them with `readSetting(key, default)` from `@devicescript/settings`,
 * which asks the runtime's Settings service and JSON-parses the stored bytes. The
 * devtools deploy `.env.defaults` the same way (`SettingsClient.setValue` with the
 * value's JSON text). The board stores every setting, reads each back, and only then
 * deploys the program, so its first `readSetting` already sees them.
 */
import {
  DEVICE_ANNOUNCE,
  type JDBus,
  type JDDevice,
  type JDService,
  SettingsClient,
  SRV_DEVICE_SCRIPT_MANAGER,
  SRV_SETTINGS,
} from "./jacdac.js";
import { readSettingValue, settingsChannel, type SettingsChannel } from "./setting-get.js";

export type SettingValue = string | number | boolean;
export type BoardSettings = Readonly<Record<string, SettingValue>>;

/** `@devicescript/settings` refuses longer keys (MAX_KEY_SIZE). */
export const MAX_SETTING_KEY_LENGTH = 13;
/** A Set command (key, NUL, value) must fit one Jacdac packet payload. */
export const MAX_SETTING_PAYLOAD_BYTES = 236;

export interface EncodedSetting {
  key: string;
  value: Uint8Array;
}

const utf8 = new TextEncoder();

/** Checks and encodes settings the way `readSetting` will decode them (JSON text). Pure. */
export function encodeSettings(settings: BoardSettings): EncodedSetting[] {
  return Object.entries(settings).map(([key, value]) => {
    if (key.length === 0 || key.length > MAX_SETTING_KEY_LENGTH || key.trim() !== key) {
      throw new RangeError(
        `Setting key ${JSON.stringify(key)} is invalid: expected 1 to ${MAX_SETTING_KEY_LENGTH} characters without surrounding spaces (readSetting refuses longer keys).`,
      );
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new RangeError(`Setting ${key} is ${value}: expected a finite number, a string or a boolean.`);
    }
    if (!["string", "number", "boolean"].includes(typeof value)) {
      throw new TypeError(`Setting ${key} is a ${typeof value}: expected a string, a number or a boolean.`);
    }
    const encoded = utf8.encode(JSON.stringify(value));
    const size = utf8.encode(key).length + 1 + encoded.length;
    if (size > MAX_SETTING_PAYLOAD_BYTES) {
      throw new RangeError(
        `Setting ${key} takes ${size} bytes with its key: expected at most ${MAX_SETTING_PAYLOAD_BYTES} (one Jacdac packet).`,
      );
    }
    return { key, value: encoded };
  });
}

/** Resolves with the VM's own device (the one hosting the DeviceScript manager) once announced. */
export function waitForVmDevice(bus: JDBus, signal: AbortSignal): Promise<JDDevice> {
  return new Promise((resolve, reject) => {
    const find = () => bus.devices({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0];
    const done = (device: JDDevice | undefined, error?: unknown) => {
      bus.off(DEVICE_ANNOUNCE, onAnnounce);
      signal.removeEventListener("abort", onAbort);
      if (device) resolve(device);
      else reject(error);
    };
    const onAnnounce = () => {
      const device = find();
      if (device) done(device);
    };
    const onAbort = () => done(undefined, signal.reason);
    if (signal.aborted) return onAbort();
    bus.on(DEVICE_ANNOUNCE, onAnnounce);
    signal.addEventListener("abort", onAbort);
    onAnnounce();
  });
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Attempts per Settings request before start-up fails. */
const SETTINGS_ATTEMPTS = 4;

/**
 * Jacdac gives an acknowledged command 500 ms; on a loaded machine (a whole test suite,
 * or a hundred boards starting) the VM can miss that, and both requests here are safe to
 * repeat. Measured: without retries, start-up failed now and then under a full suite.
 */
async function withRetries<T>(what: string, request: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= SETTINGS_ATTEMPTS; attempt++) {
    try {
      return await request();
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`${what} failed ${SETTINGS_ATTEMPTS} times: ${(last as Error)?.message ?? String(last)}`);
}

/**
 * Stores every setting in the VM's Settings service (acknowledged writes) and reads
 * each back. Keys starting with `$` are secrets the service does not read back; they
 * are written but not checked.
 */
export async function storeSettings(service: JDService, settings: readonly EncodedSetting[]): Promise<void> {
  const client = new SettingsClient(service);
  try {
    for (const { key, value } of settings)
      await withRetries(`storing setting ${key}`, () => client.setValue(key, value));
  } finally {
    client.unmount();
  }
  await readBackSettings(settingsChannel(service), settings);
}

/**
 * Reads every non-secret setting back and fails naming the first one the service does
 * not hold as written. Replies are matched by key (see setting-get.ts), so a retried
 * read's late reply cannot be taken for the next key's.
 */
export async function readBackSettings(
  channel: SettingsChannel,
  settings: readonly EncodedSetting[],
): Promise<void> {
  for (const { key, value } of settings) {
    if (key.startsWith("$")) continue;
    const stored = await withRetries(`reading back setting ${key}`, () => readSettingValue(channel, key));
    if (!equalBytes(stored, value)) {
      throw new Error(
        `Setting ${key} did not stick: the VM holds ${stored.length > 0 ? JSON.stringify(new TextDecoder().decode(stored)) : "nothing"}, expected ${JSON.stringify(new TextDecoder().decode(value))}.`,
      );
    }
  }
}

/** Stores the settings in the Settings service of the VM's own device. */
export async function deliverSettings(
  vmDevice: JDDevice,
  settings: readonly EncodedSetting[],
): Promise<void> {
  const service = vmDevice.services({ serviceClass: SRV_SETTINGS })[0];
  if (!service) throw new Error(`The VM device ${vmDevice.shortId} has no Settings service.`);
  await storeSettings(service, settings);
}

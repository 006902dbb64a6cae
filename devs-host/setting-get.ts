/**
 * Reading one setting back from a Settings service, matching the reply by its key.
 *
 * jacdac-ts's `SettingsClient.getValue` takes the first Get report that arrives after
 * its request as the answer. When an earlier Get timed out (a loaded machine, hundreds
 * of boards starting) and was retried, its late reply arrives while the Get for the
 * *next* key is pending and is taken for that key's answer: "device returned different
 * key", then "did not stick". Here every Get report carries its key, and a reply for
 * another key is skipped, so a late reply can only answer the request it belongs to.
 */
import { type JDService, jdpack, jdunpack, Packet, REPORT_RECEIVE } from "./jacdac.js";

/** The Settings service's Get command (request `s` key; report `z b` key, value). */
export const SETTINGS_CMD_GET = 0x80;

/** Jacdac gives a command reply 500 ms. */
export const SETTING_GET_TIMEOUT_MS = 500;

/** What reading a setting needs from a Settings service: send a command, hear its reports. */
export interface SettingsChannel {
  send(command: number, data: Uint8Array): Promise<void>;
  /** Calls `listener` with every report of the service; returns a function that stops it. */
  onReport(listener: (command: number, data: Uint8Array) => void): () => void;
}

/**
 * The value a Get report holds for `key`, or `null` when the report is not a Get reply
 * for `key` (another command, or a late reply for another key). Pure.
 */
export function getReplyValue(command: number, data: Uint8Array, key: string): Uint8Array | null {
  if (command !== SETTINGS_CMD_GET) return null;
  const [replyKey, value] = jdunpack(data, "z b") as [string, Uint8Array];
  return replyKey === key ? value : null;
}

/**
 * Asks for `key` and resolves with the value of the first Get reply for that key (empty
 * when the service holds nothing under it); rejects after `timeoutMs` without one.
 */
export function readSettingValue(
  channel: SettingsChannel,
  key: string,
  timeoutMs = SETTING_GET_TIMEOUT_MS,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no reply for setting ${key} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = channel.onReport((command, data) => {
      const value = getReplyValue(command, data, key);
      if (value === null) return;
      finish();
      resolve(value);
    });
    const finish = () => {
      stop();
      clearTimeout(timer);
    };
    channel.send(SETTINGS_CMD_GET, jdpack("s", [key])).catch((error: unknown) => {
      finish();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** A Settings service of a jacdac-ts bus as a `SettingsChannel`. */
export function settingsChannel(service: JDService): SettingsChannel {
  return {
    send: (command, data) => service.sendPacketAsync(Packet.from(command, data)),
    onReport(listener) {
      const onPacket = (pkt: { serviceCommand: number; data: Uint8Array }) =>
        listener(pkt.serviceCommand, pkt.data);
      service.on(REPORT_RECEIVE, onPacket);
      return () => service.off(REPORT_RECEIVE, onPacket);
    },
  };
}

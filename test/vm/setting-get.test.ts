import test from "ava";
import { jdpack, jdunpack } from "../../devs-host/jacdac.js";
import {
  getReplyValue,
  readSettingValue,
  SETTINGS_CMD_GET,
  type SettingsChannel,
} from "../../devs-host/setting-get.js";
import { encodeSettings, readBackSettings } from "../../devs-host/settings.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const reply = (key: string, value: string) => jdpack("z b", [key, bytes(value)]);

/**
 * A stand-in Settings service (a mock: the real VM answers too fast to lose a reply on
 * cue). It records every Get and answers through `answer`, which the test scripts, so the
 * race of a slow machine plays out the same way every run.
 */
function scriptedService(
  answer: (key: string, attempt: number, deliver: (key: string, value: string) => void) => void,
) {
  const listeners = new Set<(command: number, data: Uint8Array) => void>();
  const asked: string[] = [];
  const deliver = (key: string, value: string) => {
    for (const listener of [...listeners]) listener(SETTINGS_CMD_GET, reply(key, value));
  };
  const channel: SettingsChannel = {
    async send(command, data) {
      if (command !== SETTINGS_CMD_GET) return;
      const [key] = jdunpack(data, "s") as [string];
      asked.push(key);
      answer(key, asked.filter(k => k === key).length, deliver);
    },
    onReport(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { channel, asked, listening: () => listeners.size };
}

test("a Get report is the answer only for its own key", t => {
  t.deepEqual(getReplyValue(SETTINGS_CMD_GET, reply("mqtt_port", "1883"), "mqtt_port"), bytes("1883"));
  t.is(getReplyValue(SETTINGS_CMD_GET, reply("mqtt_host", '"h"'), "mqtt_port"), null);
  t.is(getReplyValue(0x81, reply("mqtt_port", "1883"), "mqtt_port"), null);
  t.deepEqual(
    getReplyValue(SETTINGS_CMD_GET, jdpack("z b", ["absent", new Uint8Array(0)]), "absent"),
    new Uint8Array(0),
  );
});

test("a late reply for a retried key is not taken as the next key's value", async t => {
  const settings = encodeSettings({ mqtt_host: "broker.lan", mqtt_port: 1883 });
  let heldHostReply: (() => void) | undefined;
  const service = scriptedService((key, attempt, deliver) => {
    if (key === "mqtt_host" && attempt === 1) {
      // The first read of mqtt_host misses its deadline; its reply comes much later.
      heldHostReply = () => deliver("mqtt_host", '"broker.lan"');
      return;
    }
    if (key === "mqtt_port") {
      // The stale mqtt_host reply arrives first, while mqtt_port is being read.
      heldHostReply?.();
      setImmediate(() => deliver("mqtt_port", "1883"));
      return;
    }
    deliver(key, key === "mqtt_host" ? '"broker.lan"' : "1883");
  });

  await t.notThrowsAsync(readBackSettings(service.channel, settings));
  t.deepEqual(service.asked, ["mqtt_host", "mqtt_host", "mqtt_port"]);
  t.is(service.listening(), 0, "every read stops listening once answered");
});

test("only a stale reply for another key is a timeout, not a value", async t => {
  const service = scriptedService((_key, _attempt, deliver) => deliver("mqtt_host", '"old"'));
  await t.throwsAsync(readSettingValue(service.channel, "mqtt_port", 50), {
    message: "no reply for setting mqtt_port within 50 ms",
  });
  t.is(service.listening(), 0);
});

test("a value that did not stick is named with what the VM holds", async t => {
  const service = scriptedService((key, _attempt, deliver) =>
    deliver(key, key === "mqtt_port" ? "1884" : ""),
  );
  await t.throwsAsync(readBackSettings(service.channel, encodeSettings({ mqtt_port: 1883 })), {
    message: 'Setting mqtt_port did not stick: the VM holds "1884", expected "1883".',
  });
  await t.throwsAsync(readBackSettings(service.channel, encodeSettings({ name: "x" })), {
    message: 'Setting name did not stick: the VM holds nothing, expected "\\"x\\"".',
  });
});

test("secret keys are written but not read back", async t => {
  const service = scriptedService((key, _attempt, deliver) => deliver(key, "1"));
  await readBackSettings(service.channel, encodeSettings({ $token: "s3cret", n: 1 }));
  t.deepEqual(service.asked, ["n"]);
});

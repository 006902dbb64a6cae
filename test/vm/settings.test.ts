import test from "ava";
import { encodeSettings, MAX_SETTING_KEY_LENGTH } from "../../devs-host/settings.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("values are stored as the JSON text readSetting parses", t => {
  const encoded = encodeSettings({ greeting: 'hé "x"', count: 42, ratio: 0.5, enabled: false });
  t.deepEqual(
    encoded.map(({ key, value }) => [key, text(value)]),
    [
      ["greeting", '"hé \\"x\\""'],
      ["count", "42"],
      ["ratio", "0.5"],
      ["enabled", "false"],
    ],
  );
});

test("no settings encode to nothing", t => {
  t.deepEqual(encodeSettings({}), []);
});

test("keys longer than readSetting accepts are refused with the limit", t => {
  t.notThrows(() => encodeSettings({ ["k".repeat(MAX_SETTING_KEY_LENGTH)]: 1 }));
  const error = t.throws(() => encodeSettings({ mqtt_keepalive: 60 }), { instanceOf: RangeError });
  t.regex(error!.message, /"mqtt_keepalive" is invalid: expected 1 to 13 characters/);
  t.throws(() => encodeSettings({ "": 1 }), { message: /Setting key "" is invalid/ });
  t.throws(() => encodeSettings({ " pad": 1 }), { message: /without surrounding spaces/ });
});

test("non-finite numbers and other types are refused", t => {
  t.throws(() => encodeSettings({ n: Number.NaN }), {
    message: "Setting n is NaN: expected a finite number, a string or a boolean.",
  });
  t.throws(() => encodeSettings({ n: Infinity }), { message: /Setting n is Infinity/ });
  t.throws(() => encodeSettings({ o: {} as unknown as string }), {
    message: "Setting o is a object: expected a string, a number or a boolean.",
  });
});

test("a setting must fit one Jacdac packet", t => {
  // key "s" + NUL + quotes + 232 characters = 236 bytes
  t.notThrows(() => encodeSettings({ s: "x".repeat(232) }));
  t.throws(() => encodeSettings({ s: "x".repeat(233) }), {
    message: /takes 237 bytes with its key: expected at most 236/,
  });
});

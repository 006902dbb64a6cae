import test from "ava";
import { packFormatRange, SENSOR_KINDS } from "../../devs-host/sensors.js";

test("register formats give the range they can carry", t => {
  t.deepEqual(packFormatRange("i22.10"), [-(2 ** 31) / 1024, (2 ** 31 - 1) / 1024]); // temperature
  t.deepEqual(packFormatRange("u22.10"), [0, (2 ** 32 - 1) / 1024]); // humidity, pressure
  t.deepEqual(packFormatRange("u0.16"), [0, (2 ** 16 - 1) / 65536]); // soil moisture
  t.deepEqual(packFormatRange("u16"), [0, 65535]);
  t.throws(() => packFormatRange("f32"), {
    message: 'Unsupported reading format "f32": expected iN.M or uN.M.',
  });
});

test("every sensor kind names a Jacdac service class", t => {
  for (const [kind, serviceClass] of Object.entries(SENSOR_KINDS)) {
    t.true(Number.isInteger(serviceClass) && serviceClass > 0, kind);
  }
});

// The firmware's sensor reading gets, answered without jacdac-ts's send path
// (devs-host/reading-shortcut.ts), and frames into the VM in one batch per flush, stepping
// it only when something in them is not an announce (devs-host/bus.ts): the VM must get
// the very frames jacdac-ts would have sent, and a real program the same readings.
import { fileURLToPath } from "node:url";
import test from "ava";
import { BoardBus } from "../../devs-host/bus.js";
import { compileDeviceScript } from "../../devs-host/compile.js";
import { SimulatedBoard } from "../../devs-host/device.js";
import { type JDServerServiceProvider, Packet, SELF_ANNOUNCE } from "../../devs-host/jacdac.js";
import { isAnnounceOnly } from "../../devs-host/jd-frame.js";
import { addSensors, sensorReadingShortcut, type SensorSpec } from "../../devs-host/sensors.js";
import { waitFor } from "../support/wait.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));

interface Delivery {
  frames: Uint8Array[];
  wake: boolean;
}

/** A board's bus with its sensor device, delivering into a list instead of a VM. */
function busWithSensors(t: { teardown(fn: () => Promise<void>): void }, specs: SensorSpec[]) {
  const deliveries: Delivery[] = [];
  const boardBus = new BoardBus((frames, wake) => deliveries.push({ frames, wake }));
  t.teardown(() => boardBus.close());
  const errors: string[] = [];
  const device = addSensors(boardBus.bus, specs, message => errors.push(message))!;
  return { boardBus, device, deliveries, errors };
}

/** The frame a VM sends to get register 0x101 (reading) of `serviceIndex`, as jacdac-ts encodes it. */
function readingGet(device: JDServerServiceProvider, serviceIndex: number, ack = false): Uint8Array {
  const pkt = Packet.from(0x1101, new Uint8Array());
  pkt.deviceIdentifier = device.deviceId;
  pkt.serviceIndex = serviceIndex;
  pkt.isCommand = true;
  if (ack) pkt.requiresAck = true;
  return pkt.toBuffer();
}

/** Sends `frame` as the VM would and returns the first non-announce frame that comes back. */
async function answerTo(bus: ReturnType<typeof busWithSensors>, frame: Uint8Array): Promise<Delivery> {
  const from = bus.deliveries.length;
  bus.boardBus.fromVm(frame);
  let found: Delivery | undefined;
  await waitFor(
    () =>
      (found = bus.deliveries.slice(from).find(d => d.frames.some(f => !isAnnounceOnly(f)))) !== undefined,
    { timeoutMs: 2000, what: "an answer to the get" },
  );
  return found!;
}

const nonAnnounce = (d: Delivery) => d.frames.filter(f => !isAnnounceOnly(f)).map(f => [...f]);

test("a reading get is answered with the very frame jacdac-ts sends, in the same turn", async t => {
  let temperature = 21.5;
  const specs: SensorSpec[] = [
    { kind: "temperature", read: () => temperature },
    { kind: "humidity", read: () => 40.25 },
  ];
  const viaJacdac = busWithSensors(t, specs);
  const viaShortcut = busWithSensors(t, specs);
  viaShortcut.boardBus.answerReadings(sensorReadingShortcut(viaShortcut.device));
  // Same device identifier on both buses: stableSimulatorDeviceId derives it from the name.
  t.is(viaShortcut.device.deviceId, viaJacdac.device.deviceId);

  for (const [serviceIndex, value] of [
    [1, 21.5],
    [2, 40.25],
    [1, -3.75],
  ] as const) {
    if (serviceIndex === 1) temperature = value;
    const expected = await answerTo(viaJacdac, readingGet(viaJacdac.device, serviceIndex));
    const before = viaShortcut.deliveries.length;
    viaShortcut.boardBus.fromVm(readingGet(viaShortcut.device, serviceIndex));
    await new Promise(resolve => setImmediate(resolve));
    // One flush: the get went out and its answer came back, with a step of the VM.
    const [answer] = viaShortcut.deliveries.slice(before);
    t.truthy(answer, `service ${serviceIndex}: answered in the flush that took the get`);
    t.true(answer.wake, "an answer steps the VM at once");
    t.deepEqual(nonAnnounce(answer), nonAnnounce(expected), `service ${serviceIndex}, value ${value}`);
  }
  t.deepEqual(viaShortcut.boardBus.counts, { toJacdac: 0, shortcut: 3, leanDropped: 0 });
});

test("each answer counts as a packet the sensor device sent (its next announce says how many)", t => {
  const bus = busWithSensors(t, [{ kind: "temperature", read: () => 20 }]);
  const shortcut = sensorReadingShortcut(bus.device);
  // Synchronous: no announce (which resets the count) can come in between.
  const before = bus.device.packetCount;
  t.is(shortcut.answer(readingGet(bus.device, 1))?.length, 1);
  t.is(bus.device.packetCount, before + 1);
});

test("a value read() cannot give is handled as by the bus: last value kept, reported", async t => {
  let value = 20;
  const bus = busWithSensors(t, [{ kind: "temperature", read: () => value }]);
  bus.boardBus.answerReadings(sensorReadingShortcut(bus.device));
  const good = await answerTo(bus, readingGet(bus.device, 1));
  value = Number.NaN;
  const bad = await answerTo(bus, readingGet(bus.device, 1));
  t.deepEqual(nonAnnounce(bad), nonAnnounce(good));
  t.deepEqual(bus.errors, ["Sensor temperature: read() returned NaN; the last value is sent again."]);
});

test("anything but a plain reading get of the sensor device goes through jacdac-ts", async t => {
  const bus = busWithSensors(t, [{ kind: "temperature", read: () => 20 }]);
  const shortcut = sensorReadingShortcut(bus.device);
  const device = bus.device;
  const other = (cmd: number, index = 1) => {
    const pkt = Packet.from(cmd, new Uint8Array());
    pkt.deviceIdentifier = device.deviceId;
    pkt.serviceIndex = index;
    pkt.isCommand = true;
    return pkt.toBuffer();
  };
  t.truthy(shortcut.answer(readingGet(device, 1)));
  t.is(
    shortcut.answer(readingGet(device, 1, true)),
    undefined,
    "an acknowledged get (the bus sends the ack)",
  );
  t.is(shortcut.answer(readingGet(device, 2)), undefined, "a service the device does not have");
  t.is(shortcut.answer(other(0x1105)), undefined, "another register (min reading)");
  t.is(shortcut.answer(other(0x2101)), undefined, "a set");
  t.is(shortcut.answer(other(0x0000, 0)), undefined, "a control command");
  const elsewhere = readingGet(device, 1);
  elsewhere[4] ^= 0xff;
  t.is(shortcut.answer(elsewhere), undefined, "another device");
});

test("announces from the bus reach the VM without stepping it", async t => {
  const bus = busWithSensors(t, [{ kind: "temperature", read: () => 20 }]);
  bus.boardBus.bus.emit(SELF_ANNOUNCE);
  await waitFor(() => bus.deliveries.length > 0, { timeoutMs: 2000, what: "the bus's announces" });
  t.true(bus.deliveries.every(d => d.frames.every(isAnnounceOnly)));
  t.true(
    bus.deliveries.every(d => !d.wake),
    "only announces: they wait for the VM's next step",
  );
});

test("the VM hears the bus's simulated devices announce, not jacdac-ts's own bus device", async t => {
  const bus = busWithSensors(t, [{ kind: "temperature", read: () => 20 }]);
  // Two announce rounds.
  bus.boardBus.bus.emit(SELF_ANNOUNCE);
  bus.boardBus.bus.emit(SELF_ANNOUNCE);
  await waitFor(() => bus.deliveries.flatMap(d => d.frames).length >= 2, {
    timeoutMs: 2000,
    what: "two announces",
  });
  const senders = new Set(
    bus.deliveries.flatMap(d => d.frames).map(f => Buffer.from(f.subarray(4, 12)).toString("hex")),
  );
  t.deepEqual([...senders], [bus.device.deviceId]);
  t.not(bus.boardBus.bus.selfDeviceId, bus.device.deviceId);
});

let program: Promise<Uint8Array> | undefined;
const readingsProbe = () =>
  (program ??= compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" }).then(r => r.bytecode));

test("a real program reads its sensors through the shortcut, not through jacdac-ts", async t => {
  const readings: string[] = [];
  let temperature = 18.25;
  const board = new SimulatedBoard({
    deviceId: "shortcut-1",
    program: await readingsProbe(),
    sensors: [
      { kind: "temperature", read: () => temperature },
      { kind: "humidity", read: () => 55.5 },
    ],
    onLog: line => {
      if (line.startsWith("reading ")) readings.push(line);
    },
  });
  t.teardown(() => board.stop());
  await board.start();
  await waitFor(() => readings.length >= 3, { timeoutMs: 10_000, what: "three readings" });
  t.deepEqual(JSON.parse(readings[2].slice("reading ".length)), { t: 18.25, h: 55.5 });
  temperature = -7.5;
  const from = readings.length;
  await waitFor(() => readings.slice(from).some(l => l.includes("-7.5")), {
    timeoutMs: 10_000,
    what: "the new value",
  });

  // The probe reads both sensors every 100 ms; the runtime keeps a register's value for
  // 500 ms, so each sensor is asked about twice a second. What still goes through
  // jacdac-ts is the VM's own announce (every 500 ms).
  const before = { ...board.frameCounts! };
  await new Promise(resolve => setTimeout(resolve, 2000));
  const shortcut = board.frameCounts!.shortcut - before.shortcut;
  const toJacdac = board.frameCounts!.toJacdac - before.toJacdac;
  t.log(`in 2 s: ${shortcut} frames answered by the shortcut, ${toJacdac} through jacdac-ts`);
  t.true(shortcut >= 4, `${shortcut} gets answered by the shortcut`);
  t.true(toJacdac <= 6, `${toJacdac} frames through jacdac-ts`);
});

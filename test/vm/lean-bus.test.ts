// A running board's bus without jacdac-ts's timers (devs-host/bus.ts BoardBus.lean): the
// sensor device's announce built by the host (devs-host/sensors.ts sensorAnnouncer) must
// be the frame jacdac-ts sends, the VM must keep its sensors bound and read, and asking
// for the bus must bring jacdac-ts back in full.
import { fileURLToPath } from "node:url";
import test from "ava";
import { BoardBus } from "../../devs-host/bus.js";
import { compileDeviceScript } from "../../devs-host/compile.js";
import { SimulatedBoard } from "../../devs-host/device.js";
import { SELF_ANNOUNCE, SRV_DEVICE_SCRIPT_MANAGER } from "../../devs-host/jacdac.js";
import { addSensors, sensorAnnouncer, type SensorSpec } from "../../devs-host/sensors.js";
import { waitFor } from "../support/wait.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));
const SPECS: SensorSpec[] = [
  { kind: "temperature", read: () => 20 },
  { kind: "humidity", read: () => 50 },
  { kind: "airPressure", read: () => 1013 },
];

function busWithSensors(t: { teardown(fn: () => Promise<void>): void }) {
  const delivered: Uint8Array[] = [];
  const boardBus = new BoardBus(frames => delivered.push(...frames));
  t.teardown(() => boardBus.close());
  const device = addSensors(boardBus.bus, SPECS, () => {})!;
  return { boardBus, device, delivered };
}

test("the host's announce of the sensor device is the frame jacdac-ts sends", async t => {
  const viaJacdac = busWithSensors(t);
  const viaHost = busWithSensors(t);
  // Fresh devices, same state: restart counter 0, nothing sent yet.
  viaJacdac.boardBus.bus.emit(SELF_ANNOUNCE);
  const ours = [sensorAnnouncer(viaHost.device)(), sensorAnnouncer(viaHost.device)()];
  viaJacdac.boardBus.bus.emit(SELF_ANNOUNCE);
  await waitFor(() => viaJacdac.delivered.length >= 2, { timeoutMs: 2000, what: "jacdac-ts's announces" });
  t.deepEqual(
    ours.map(f => [...f]),
    viaJacdac.delivered.slice(0, 2).map(f => [...f]),
  );
  t.is(viaHost.device.restartCounter, viaJacdac.device.restartCounter);
  t.is(viaHost.device.packetCount, 0);
});

test("lean: jacdac-ts's timers stop and the host announces in their place; full brings them back", async t => {
  const { boardBus, device, delivered } = busWithSensors(t);
  const jacdacTimers = boardBus.scheduler.liveTimers;
  t.true(jacdacTimers >= 2, `jacdac-ts runs its announce tick and device expiry (${jacdacTimers} timers)`);
  boardBus.lean(sensorAnnouncer(device));
  await waitFor(() => boardBus.scheduler.liveTimers === 1, {
    timeoutMs: 2000,
    what: "jacdac-ts's timers to stop",
  });
  t.true(boardBus.isLean);
  const from = delivered.length;
  await waitFor(() => delivered.length - from >= 2, { timeoutMs: 3000, what: "two announces from the host" });
  const senders = delivered.slice(from).map(f => Buffer.from(f.subarray(4, 12)).toString("hex"));
  t.deepEqual([...new Set(senders)], [device.deviceId]);
  boardBus.full();
  t.false(boardBus.isLean);
  t.is(boardBus.scheduler.liveTimers, jacdacTimers);
});

test("asked for in full before the board runs, the bus is never made lean", async t => {
  // Someone took board.bus during start-up to add a device: its announces come from
  // jacdac-ts's tick, which lean() would stop once the board runs.
  const { boardBus, device } = busWithSensors(t);
  const jacdacTimers = boardBus.scheduler.liveTimers;
  boardBus.full();
  boardBus.lean(sensorAnnouncer(device));
  t.false(boardBus.isLean);
  t.is(boardBus.scheduler.liveTimers, jacdacTimers);
});

let program: Promise<Uint8Array> | undefined;
const readingsProbe = () =>
  (program ??= compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" }).then(r => r.bytecode));

test("a running board is lean: its program keeps reading its sensors; asking for the bus makes it full", async t => {
  const readings: string[] = [];
  let temperature = 18.5;
  const board = new SimulatedBoard({
    deviceId: "lean-1",
    program: await readingsProbe(),
    sensors: [
      { kind: "temperature", read: () => temperature },
      { kind: "humidity", read: () => 40 },
    ],
    onLog: line => {
      if (line.startsWith("reading ")) readings.push(line);
    },
  });
  t.teardown(() => board.stop());
  await board.start();
  await waitFor(() => readings.length > 0, { timeoutMs: 10_000, what: "a first reading" });
  // Longer than a Jacdac device lives without announcing (jacdac-c drops it after about
  // 2 s; its role would unbind and the reads stall): the host's announces keep it bound.
  await new Promise(resolve => setTimeout(resolve, 4000));
  temperature = 31.25;
  const from = readings.length;
  await waitFor(() => readings.slice(from).some(l => l.includes("31.25")), {
    timeoutMs: 5000,
    what: "the new temperature, read after 4 s of a lean bus",
  });
  const counts = board.frameCounts!;
  t.true(counts.leanDropped >= 6, `${counts.leanDropped} of the VM's announces kept from jacdac-ts`);

  // Whoever takes the bus gets jacdac-ts in full: the VM's announces reach it again.
  const bus = board.bus!;
  const dropped = counts.leanDropped;
  const vm = bus.devices({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0];
  const seen = vm.lastSeen;
  await waitFor(() => vm.lastSeen > seen, {
    timeoutMs: 3000,
    what: "jacdac-ts to hear the VM announce again",
  });
  t.is(board.frameCounts!.leanDropped, dropped);
});

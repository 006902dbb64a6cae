import { fileURLToPath } from "node:url";
import test from "ava";
import { compileDeviceScript } from "../../devs-host/compile.js";
import { type BoardOptions, SimulatedBoard } from "../../devs-host/device.js";
import { waitForLog } from "../../devs-host/wait.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));
const DEADLINE_MS = 15_000;

let program: Promise<Uint8Array> | undefined;
const readingsProbe = () =>
  (program ??= compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" }).then(r => r.bytecode));

interface Started {
  board: SimulatedBoard;
  lines: string[];
}

async function startBoard(
  t: { teardown(fn: () => Promise<void>): void },
  options: Omit<BoardOptions, "program" | "onLog">,
): Promise<Started> {
  const lines: string[] = [];
  const board = new SimulatedBoard({
    ...options,
    program: await readingsProbe(),
    onLog: line => lines.push(line),
  });
  t.teardown(() => board.stop());
  await board.start();
  return { board, lines };
}

const SETTINGS_LINE = /^settings (\{.*\}) greeting=(.*)$/;
const READING_LINE = /^reading (\{.*\})$/;

function parseReading(line: string): { t: number; h: number } {
  return JSON.parse(READING_LINE.exec(line)![1]) as { t: number; h: number };
}

/** The first line, printed so far or from now on, that matches. */
async function lineWhere(s: Started, match: RegExp): Promise<string> {
  return s.lines.find(l => match.test(l)) ?? waitForLog(s.board, match, DEADLINE_MS);
}

/** The first reading printed from now on that satisfies `accept`. */
async function readingWhere(board: SimulatedBoard, accept: (r: { t: number; h: number }) => boolean) {
  const line = await waitForLog(board, l => READING_LINE.test(l) && accept(parseReading(l)), DEADLINE_MS);
  return parseReading(line);
}

test("(a) settings are in place before the program's first readSetting", async t => {
  const started = await startBoard(t, {
    deviceId: "settings-1",
    settings: { greeting: 'hé € "quoted"', count: 42, enabled: true },
    sensors: [
      { kind: "temperature", read: () => 20 },
      { kind: "humidity", read: () => 50 },
    ],
  });
  await lineWhere(started, /^id /);
  // The settings line is the program's very first output, and it already has the values.
  const m = SETTINGS_LINE.exec(started.lines[0] ?? "");
  t.truthy(m, `first line: ${started.lines[0]}`);
  t.deepEqual(JSON.parse(m![1]), { count: 42, enabled: true });
  t.is(m![2], 'hé € "quoted"');
  t.is(started.board.status, "running");
});

test("(a) without settings the program reads its defaults", async t => {
  const started = await startBoard(t, { deviceId: "settings-0" });
  await lineWhere(started, /^id /);
  t.is(started.lines[0], 'settings {"count":-1,"enabled":false} greeting=default');
});

test("(b) readings are what read() returns, and follow it when it changes", async t => {
  let temperature = 21.5;
  let humidity = 40.25;
  const { board } = await startBoard(t, {
    deviceId: "sensors-1",
    sensors: [
      { kind: "temperature", read: () => temperature },
      { kind: "humidity", read: () => humidity },
    ],
  });
  t.deepEqual(await readingWhere(board, () => true), { t: 21.5, h: 40.25 });

  temperature = -3.75;
  humidity = 55.5;
  t.deepEqual(await readingWhere(board, r => r.t !== 21.5 && r.h !== 40.25), { t: -3.75, h: 55.5 });

  // Values travel in the register's fixed-point format (1/1024 for these two), and the
  // firmware prints numbers with 6 significant digits.
  temperature = 21.3;
  const r = await readingWhere(board, x => x.t !== -3.75);
  t.is(r.t, Number((Math.round(21.3 * 1024) / 1024).toPrecision(6)));
  t.is(r.t, 21.2998);
});

test("(b) a bad read() keeps the last value and reports it", async t => {
  let temperature = 18;
  const errors: string[] = [];
  const { board } = await startBoard(t, {
    deviceId: "sensors-2",
    sensors: [
      { kind: "temperature", read: () => temperature },
      { kind: "humidity", read: () => 30 },
    ],
    onError: error => errors.push(error.message),
  });
  await readingWhere(board, r => r.t === 18);
  temperature = Number.NaN;
  const errorSeen = new Promise<void>(resolve => {
    const timer = setInterval(() => {
      if (errors.length > 0) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await errorSeen;
  t.is(errors[0], "Sensor temperature: read() returned NaN; the last value is sent again.");
  t.deepEqual(await readingWhere(board, () => true), { t: 18, h: 30 });
});

test("(c) two boards run at once, each with its own device id, settings and sensors", async t => {
  const [a, b] = await Promise.all([
    startBoard(t, {
      deviceId: "board-a",
      settings: { greeting: "from a", count: 1 },
      sensors: [
        { kind: "temperature", read: () => 10 },
        { kind: "humidity", read: () => 11 },
      ],
    }),
    startBoard(t, {
      deviceId: "board-b",
      settings: { greeting: "from b", count: 2 },
      sensors: [
        { kind: "temperature", read: () => 20 },
        { kind: "humidity", read: () => 22 },
      ],
    }),
  ]);
  const [ra, rb] = await Promise.all([readingWhere(a.board, () => true), readingWhere(b.board, () => true)]);
  t.deepEqual(ra, { t: 10, h: 11 });
  t.deepEqual(rb, { t: 20, h: 22 });
  await Promise.all([lineWhere(a, /^id /), lineWhere(b, /^id /)]);
  t.is(a.lines[0], 'settings {"count":1,"enabled":false} greeting=from a');
  t.is(b.lines[0], 'settings {"count":2,"enabled":false} greeting=from b');
  t.is(a.lines[1], `id ${a.board.jacdacDeviceId}`);
  t.is(b.lines[1], `id ${b.board.jacdacDeviceId}`);
  t.not(a.board.jacdacDeviceId, b.board.jacdacDeviceId);
});

test("the same device id gives the same Jacdac device id", async t => {
  const first = await startBoard(t, { deviceId: "stable-id" });
  const id = first.board.jacdacDeviceId;
  await first.board.stop();
  const second = await startBoard(t, { deviceId: "stable-id" });
  t.regex(id ?? "", /^[0-9a-f]{16}$/);
  t.is(second.board.jacdacDeviceId, id);
});

test("invalid settings fail start() before any VM runs", async t => {
  const board = new SimulatedBoard({
    deviceId: "bad",
    program: await readingsProbe(),
    settings: { mqtt_keepalive_s: 60 },
  });
  t.teardown(() => board.stop());
  await t.throwsAsync(board.start(), { message: /Setting key "mqtt_keepalive_s" is invalid/ });
  t.is(board.status, "stopped");
});

test("a board starts once", async t => {
  const { board } = await startBoard(t, { deviceId: "once" });
  await t.throwsAsync(board.start(), {
    message: "Board once is running: a board starts once; create a new one.",
  });
});

test("a program the VM rejects fails start() with the deploy error", async t => {
  const board = new SimulatedBoard({ deviceId: "garbage", program: new Uint8Array([1, 2, 3, 4]) });
  t.teardown(() => board.stop());
  await t.throwsAsync(board.start(), {
    message: /The VM rejected the program \(4 bytes\): deploy error -?\d+/,
  });
});

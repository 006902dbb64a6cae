// The VM's timers and clock, with its steps driven by the thread's scheduler
// (devs-host/step-scheduler.ts): a sleep of the firmware never ends early, ends within
// one step period of its time, and the VM's clock keeps pace with the host's — for one
// board and for many in one thread at once.
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { compileDeviceScript } from "../../devs-host/compile.js";
import { SimulatedBoard } from "../../devs-host/device.js";
import { IDLE_STEP_US } from "../../devs-host/step-pace.js";
import { threadScheduler } from "../../devs-host/step-scheduler.js";
import { waitForLog } from "../../devs-host/wait.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));
const DEADLINE_MS = 30_000;
/** The VM steps at least every 10 ms (jacdac-c's JD_MIN_MAX_SLEEP); +1 for Node's whole-ms timers. */
const STEP_MS = 11;

let program: Promise<Uint8Array> | undefined;
const timersProbe = () =>
  (program ??= compileDeviceScript({ projectDir: PROBE_DIR, entry: "timers.ts" }).then(r => r.bytecode));

interface Sleep {
  ms: number;
  took: number;
  /** When the host got the line. */
  at: number;
}

/** Runs the probe on `count` boards at once; per board, its sleeps and how its clock kept pace. */
async function runProbe(t: ExecutionContext, count: number) {
  const bytecode = await timersProbe();
  const runs = Array.from({ length: count }, (_, i) => {
    const sleeps: Sleep[] = [];
    const board = new SimulatedBoard({
      deviceId: `timing-${i + 1}`,
      program: bytecode,
      onLog: line => {
        const m = /^slept (\d+) took (\d+)$/.exec(line);
        if (m) sleeps.push({ ms: Number(m[1]), took: Number(m[2]), at: Date.now() });
      },
    });
    t.teardown(() => board.stop());
    return { board, sleeps };
  });
  await Promise.all(runs.map(r => r.board.start()));
  t.is(threadScheduler().size, count, "every running VM is in the thread's scheduler");
  return Promise.all(
    runs.map(async ({ board, sleeps }) => {
      await waitForLog(board, /^slept 1000 took/, DEADLINE_MS);
      await waitForLog(board, /^slept 1000 took/, DEADLINE_MS);
      return { sleeps, hostMs: sleeps[sleeps.length - 1].at - sleeps[0].at };
    }),
  );
}

function checkSleeps(t: ExecutionContext, sleeps: Sleep[]) {
  t.is(sleeps.length, 8);
  for (const { ms, took } of sleeps) t.true(took >= ms, `a ${ms} ms sleep ended after ${took} ms: early`);
  // A loaded machine runs a step late now and then; the typical sleep is on time.
  const late = sleeps.map(s => s.took - s.ms).sort((a, b) => a - b);
  const median = late[Math.floor(late.length / 2)];
  t.log(`lateness ${late.join(", ")} ms`);
  t.true(median <= STEP_MS, `median lateness ${median} ms (${late.join(", ")})`);
}

test.serial("one board: sleeps end on time by the VM's clock", async t => {
  const [run] = await runProbe(t, 1);
  checkSleeps(t, run.sleeps);
});

test.serial("twenty boards in one thread: each one's sleeps end on time", async t => {
  const runs = await runProbe(t, 20);
  for (const run of runs) checkSleeps(t, run.sleeps);
});

test.serial("the VM's clock keeps pace with the host's", async t => {
  const [run] = await runProbe(t, 1);
  // Between the first sleep's line and the last: 7 sleeps, by the VM's own reckoning.
  const vmMs = run.sleeps.slice(1).reduce((sum, s) => sum + s.took, 0);
  t.true(
    Math.abs(run.hostMs - vmMs) <= 0.05 * vmMs + 2 * STEP_MS,
    `the host saw ${run.hostMs} ms while the VM counted ${vmMs} ms`,
  );
});

test.serial("stopped boards leave the scheduler", async t => {
  const bytecode = await timersProbe();
  const board = new SimulatedBoard({ deviceId: "timing-stop", program: bytecode });
  const before = threadScheduler().size;
  await board.start();
  t.is(threadScheduler().size, before + 1);
  await board.stop();
  t.is(threadScheduler().size, before);
});

test.serial("an idle program's VM is not stepped every 10 ms", async t => {
  const bytecode = await timersProbe();
  const board = new SimulatedBoard({ deviceId: "timing-idle", program: bytecode });
  t.teardown(() => board.stop());
  await board.start();
  // The probe's first sleep is 2.5 s: nothing of the program is due for a while.
  const before = threadScheduler().steps;
  const since = performance.now();
  await new Promise(resolve => setTimeout(resolve, 1000));
  const perSecond = ((threadScheduler().steps - before) * 1000) / (performance.now() - since);
  // 1000 / IDLE_STEP_US pace (announces from the bus wait for it: reading-shortcut.test.ts),
  // plus a step for anything else that comes in; the glue's own pace was 100 a second.
  t.true(perSecond <= 40, `${perSecond.toFixed(0)} steps a second`);
  t.true(perSecond >= 1000 / (IDLE_STEP_US / 1000) / 2, `${perSecond.toFixed(0)} steps a second`);
});

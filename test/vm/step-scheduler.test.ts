// The thread's VM step scheduler, on a fake clock: the glue's contract (a VM is stepped
// once the delay its last step returned is up, never sooner, 1 ms at least), one timer
// for all VMs, removal from inside a step, and a throwing VM dropped as the glue drops it;
// and the pace a running program is stepped at (devs-host/step-pace.ts).
import test from "ava";
import { IDLE_STEP_US, nextStepUs, STEP_CLAMP_US } from "../../devs-host/step-pace.js";
import {
  type SchedulerClock,
  type StepHandle,
  type Steppable,
  StepScheduler,
} from "../../devs-host/step-scheduler.js";

class FakeClock implements SchedulerClock {
  time = 0;
  timers = new Map<number, { at: number; callback: () => void }>();
  private next = 1;
  /** How many timers were ever armed. */
  armed = 0;

  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.next++;
    this.armed++;
    this.timers.set(id, { at: this.time + Math.max(1, delayMs), callback });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward to `until`, firing each timer at its time, in order. */
  advance(until: number): void {
    for (;;) {
      const due = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!due || due[1].at > until) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = until;
  }
}

/** A VM stand-in: records when it was stepped, answers each step with the next delay in µs. */
function recorder(clock: FakeClock, delaysUs: () => number, stepCostMs = 0) {
  const at: number[] = [];
  const vm: Steppable & { at: number[]; errors: unknown[] } = {
    at,
    errors: [],
    step: () => {
      at.push(clock.time);
      clock.time += stepCostMs;
      return delaysUs();
    },
    failed: error => vm.errors.push(error),
  };
  return vm;
}

test("a VM is stepped first after the given delay, then each time the delay its step returned is up", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const delays = [10_000, 3_000, 10_000, 7_500];
  const vm = recorder(clock, () => delays.shift() ?? 10_000);
  scheduler.add(vm, 10);
  clock.advance(45);
  t.deepEqual(vm.at, [10, 20, 23, 33, 40.5]);
});

test("a step returning less than 1 ms waits 1 ms, as setTimeout would", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const vm = recorder(clock, () => 200);
  scheduler.add(vm, 10);
  clock.advance(14);
  t.deepEqual(vm.at, [10, 11, 12, 13, 14]);
});

test("many VMs share one timer; each keeps its own schedule", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const fast = recorder(clock, () => 2_000);
  const slow = recorder(clock, () => 10_000);
  const others = Array.from({ length: 50 }, () => recorder(clock, () => 10_000));
  scheduler.add(fast, 10);
  scheduler.add(slow, 5);
  for (const vm of others) scheduler.add(vm, 10);
  clock.advance(30);
  t.deepEqual(fast.at, [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]);
  t.deepEqual(slow.at, [5, 15, 25]);
  for (const vm of others) t.deepEqual(vm.at, [10, 20, 30]);
  t.true(clock.timers.size <= 1, "one timer at a time");
  t.true(clock.armed <= 20, `${clock.armed} timers armed for 30 ms of 52 VMs`);
  t.is(scheduler.steps, 11 + 3 + 150);
});

test("a VM is never stepped before it is due, even when a turn runs late", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  // Each step costs 4 ms of the clock: later VMs in a turn see time move on.
  const busy = Array.from({ length: 5 }, () => recorder(clock, () => 10_000, 4));
  for (const vm of busy) scheduler.add(vm, 10);
  clock.advance(100);
  for (const vm of busy) {
    for (let i = 1; i < vm.at.length; i++) {
      t.true(vm.at[i] - vm.at[i - 1] >= 10 + 4, `steps ${vm.at[i - 1]} → ${vm.at[i]}`);
    }
  }
});

test("a VM removed inside its own step is not stepped again; the others go on", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const own: { handle?: StepHandle } = {};
  let n = 0;
  const quitter = recorder(clock, () => {
    if (++n === 2) own.handle!.remove();
    return 10_000;
  });
  const stayer = recorder(clock, () => 10_000);
  const handle = (own.handle = scheduler.add(quitter, 10));
  scheduler.add(stayer, 10);
  clock.advance(50);
  t.deepEqual(quitter.at, [10, 20]);
  t.deepEqual(stayer.at, [10, 20, 30, 40, 50]);
  t.false(handle.active);
  t.is(scheduler.size, 1);
});

test("removing every VM leaves no timer behind", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const handles = [1, 2, 3].map(() =>
    scheduler.add(
      recorder(clock, () => 10_000),
      10,
    ),
  );
  clock.advance(25);
  for (const handle of handles) handle.remove();
  clock.advance(40);
  t.is(clock.timers.size, 0);
  t.is(scheduler.size, 0);
});

test("a step that throws reports the error once and that VM is stepped no more", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const boom = new Error("wasm trap");
  let n = 0;
  const broken = recorder(clock, () => {
    if (++n === 3) throw boom;
    return 10_000;
  });
  const healthy = recorder(clock, () => 10_000);
  scheduler.add(broken, 10);
  scheduler.add(healthy, 10);
  clock.advance(60);
  t.deepEqual(broken.at, [10, 20, 30]);
  t.deepEqual(broken.errors, [boom]);
  t.deepEqual(healthy.at, [10, 20, 30, 40, 50, 60]);
});

test("a VM added while others run is stepped on its own first delay", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const first = recorder(clock, () => 10_000);
  scheduler.add(first, 10);
  clock.advance(13);
  const late = recorder(clock, () => 10_000);
  scheduler.add(late, 2);
  clock.advance(36);
  t.deepEqual(first.at, [10, 20, 30]);
  t.deepEqual(late.at, [15, 25, 35]);
});

test("stepNow steps at once and reschedules from there, as the glue does when a frame goes in", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const vm = recorder(clock, () => 10_000);
  const other = recorder(clock, () => 10_000);
  const handle = scheduler.add(vm, 10);
  scheduler.add(other, 10);
  clock.advance(14);
  handle.stepNow();
  clock.advance(40);
  t.deepEqual(vm.at, [10, 14, 24, 34]);
  t.deepEqual(other.at, [10, 20, 30, 40]);
  t.true(clock.timers.size <= 1);
});

test("stepNow on a removed VM does nothing", t => {
  const clock = new FakeClock();
  const scheduler = new StepScheduler(clock);
  const vm = recorder(clock, () => 10_000);
  const handle = scheduler.add(vm, 10);
  handle.remove();
  handle.stepNow();
  clock.advance(30);
  t.deepEqual(vm.at, []);
  t.is(clock.timers.size, 0);
});

test("pace: a step due sooner than the clamp is taken as it is", t => {
  t.is(nextStepUs(3_000, 800_000), 3_000);
  t.is(nextStepUs(0, undefined), 0);
});

test("pace: at the clamp, the next step comes when the program's next fiber is due, within the idle pace", t => {
  t.is(nextStepUs(STEP_CLAMP_US, 37_000), 37_000);
  t.is(nextStepUs(STEP_CLAMP_US, 250_000), IDLE_STEP_US);
  // Read after the step, the fiber can be a moment nearer than the step saw it.
  t.is(nextStepUs(STEP_CLAMP_US, 9_000), 9_000);
});

test("pace: without a program the runtime keeps its own 10 ms pace", t => {
  t.is(nextStepUs(STEP_CLAMP_US, undefined), STEP_CLAMP_US);
});

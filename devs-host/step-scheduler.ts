/**
 * One timer for every VM of a thread.
 *
 * The emscripten glue drives each VM instance with a timer of its own: `devsStart()` arms
 * `setTimeout(process, 10)`, and each step (`_jd_em_process()`) returns the µs until the
 * next step is due, which the glue arms its next `setTimeout` with. That value is
 * jacdac-c's `jd_max_sleep`: 10 ms at most (JD_MIN_MAX_SLEEP), less when one of the
 * program's fibers wakes sooner (`devs_fiber_get_max_sleep`). A thousand boards are a
 * hundred thousand Node timers a second, each allocated, linked into a timer list and
 * fired on its own.
 *
 * The scheduler keeps the glue's contract — a VM is stepped once the delay its last step
 * returned has passed, as soon as possible after (what that delay is, is the VM's
 * business: ./step-pace) — with one Node timer per thread and a min-heap of due times:
 * every turn steps each VM that is due, earliest first, and re-arms the one timer for the
 * earliest next due time. Pure apart from the one timer; the clock
 * and the timer are injectable for tests.
 */

/** One VM as the scheduler sees it. */
export interface Steppable {
  /** Runs one step; returns the µs until the next is due. A throw removes it from the scheduler. */
  step(): number;
  /** The step threw (the scheduler has already dropped this VM, as the glue stops a throwing VM). */
  failed(error: unknown): void;
}

export interface SchedulerClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

const nodeClock: SchedulerClock = {
  now: () => performance.now(),
  // Not unref'd: as the glue's own timers, a running VM keeps its process alive.
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: handle => clearTimeout(handle as NodeJS.Timeout),
};

/** What `add` returns: the VM's place in the scheduler. */
export interface StepHandle {
  /**
   * Steps the VM at once and reschedules it by what that step returns, as the glue's
   * `handlePacket` does after a frame goes in. Not from inside a step.
   */
  stepNow(): void;
  /** The VM was stepped outside the scheduler: its next step is `delayUs` from now. */
  rescheduleIn(delayUs: number): void;
  /** Takes the VM out; safe to call from inside its own step and more than once. */
  remove(): void;
  readonly active: boolean;
}

/** One place in the heap. A VM rescheduled early (stepNow) leaves its old slot behind, stale. */
interface Slot {
  readonly entry: Entry;
  readonly due: number;
}

class Entry implements StepHandle {
  active = true;
  slot: Slot | undefined;
  constructor(
    readonly vm: Steppable,
    private readonly scheduler: StepScheduler,
  ) {}
  stepNow(): void {
    this.scheduler.stepNow(this);
  }
  rescheduleIn(delayUs: number): void {
    this.scheduler.rescheduleIn(this, delayUs);
  }
  remove(): void {
    this.scheduler.remove(this);
  }
}

export class StepScheduler {
  private heap: Slot[] = [];
  private timer: unknown;
  private timerDue = Infinity;
  private running = false;
  private activeCount = 0;
  /** Steps run since creation (for tests and the bench). */
  steps = 0;

  constructor(private readonly clock: SchedulerClock = nodeClock) {}

  /** Steps `vm` first after `firstDelayMs` (the glue's first step comes 10 ms after start). */
  add(vm: Steppable, firstDelayMs: number): StepHandle {
    const entry = new Entry(vm, this);
    this.activeCount++;
    this.schedule(entry, this.clock.now() + firstDelayMs);
    this.arm();
    return entry;
  }

  /** VMs in the scheduler. */
  get size(): number {
    return this.activeCount;
  }

  stepNow(entry: Entry): void {
    if (!entry.active) return;
    this.step(entry);
    this.arm();
  }

  rescheduleIn(entry: Entry, delayUs: number): void {
    if (!entry.active) return;
    this.schedule(entry, this.clock.now() + Math.max(1, delayUs / 1000));
    this.arm();
  }

  remove(entry: Entry): void {
    if (!entry.active) return;
    entry.active = false;
    entry.slot = undefined;
    this.activeCount--;
    this.arm();
  }

  /** One step, then the next due time from what it returned. */
  private step(entry: Entry): void {
    let delayUs: number;
    try {
      delayUs = entry.vm.step();
      this.steps++;
    } catch (error) {
      this.remove(entry);
      entry.vm.failed(error);
      return;
    }
    // As setTimeout(process, us / 1000) would: at least 1 ms later.
    if (entry.active) this.schedule(entry, this.clock.now() + Math.max(1, delayUs / 1000));
  }

  private run(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.running = true;
    try {
      // Each VM at most once a turn: those due now, earliest first. Never one that is
      // not yet due (Node's timer can fire a fraction of a millisecond early: it counts
      // whole ones); it waits for the next turn.
      const limit = this.clock.now();
      const due: Slot[] = [];
      while (this.heap.length > 0 && this.heap[0].due <= limit) due.push(this.pop()!);
      for (const slot of due) {
        // Removed, or stepped early meanwhile and so due later.
        if (slot.entry.slot === slot) this.step(slot.entry);
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  private schedule(entry: Entry, due: number): void {
    const slot = { entry, due };
    entry.slot = slot;
    this.push(slot);
  }

  private arm(): void {
    if (this.running) return;
    while (this.heap.length > 0 && this.heap[0].entry.slot !== this.heap[0]) this.pop();
    const top = this.heap[0];
    if (!top || (this.timer !== undefined && this.timerDue !== top.due)) {
      if (this.timer !== undefined) this.clock.clearTimer(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
    }
    if (!top || this.timer !== undefined) return;
    this.timerDue = top.due;
    this.timer = this.clock.setTimer(() => this.run(), Math.max(0, top.due - this.clock.now()));
  }

  private push(slot: Slot): void {
    const heap = this.heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].due <= slot.due) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  private pop(): Slot | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].due < heap[left].due ? right : left;
      if (heap[child].due >= last.due) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

let shared: StepScheduler | undefined;

/** The thread's scheduler: every VM of a thread (a worker, or the main thread) shares it. */
export function threadScheduler(): StepScheduler {
  shared ??= new StepScheduler();
  return shared;
}

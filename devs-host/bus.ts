/**
 * A board's own Jacdac bus: a jacdac-ts `JDBus` bridged to one VM.
 *
 * Frames cross in both directions through a queue flushed on the next turn of the
 * event loop: the VM sends frames from inside a VM step, and jacdac-ts answers
 * synchronously, so a direct hand-over would feed a frame back into the VM while it
 * is still running (the VM drops frames that arrive then).
 *
 * Two things keep a running board cheap. The firmware's sensor reading gets are answered
 * by a `ReadingShortcut` (./reading-shortcut) in the same flush, not by jacdac-ts. And the
 * frames of one flush go into the VM together, with one step after them — none when they
 * are only announces: nothing in a program waits on one, and the VM takes them at its
 * next scheduled step (./step-pace), at most 100 ms later, as a device busy with other
 * work would.
 *
 * Every timer jacdac-ts starts for this bus goes through a `TrackedScheduler`, so
 * `close()` can clear them all and the process can exit.
 */
import { createProxyBridge, JDBus, type Scheduler } from "./jacdac.js";
import { isAnnounceOnly } from "./jd-frame.js";
import type { ReadingShortcut } from "./reading-shortcut.js";

type Timer = ReturnType<typeof setTimeout>;

/** jacdac-ts's announce tick: every device on a bus announces itself about twice a second. */
const ANNOUNCE_INTERVAL_MS = 499;

/** Wall-clock scheduler that remembers its live timers so they can all be cleared. */
export class TrackedScheduler implements Scheduler {
  private readonly startTime = performance.now();
  private readonly timeouts = new Set<Timer>();
  private readonly intervals = new Set<Timer>();
  private disposed = false;

  get timestamp(): number {
    return performance.now() - this.startTime;
  }

  resetTime(): void {
    // Bus-relative time is not reset: nothing on a board's bus depends on it.
  }

  setTimeout(handler: (...args: unknown[]) => void, delay: number, ...args: unknown[]): Timer | undefined {
    if (this.disposed) return undefined;
    const timer = setTimeout(() => {
      this.timeouts.delete(timer);
      handler(...args);
    }, delay);
    this.timeouts.add(timer);
    return timer;
  }

  clearTimeout(handle: Timer | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.timeouts.delete(handle);
  }

  setInterval(handler: (...args: unknown[]) => void, delay: number, ...args: unknown[]): Timer | undefined {
    if (this.disposed) return undefined;
    const timer = setInterval(handler, delay, ...args);
    this.intervals.add(timer);
    return timer;
  }

  clearInterval(handle: Timer | undefined): void {
    if (!handle) return;
    clearInterval(handle);
    this.intervals.delete(handle);
  }

  /** Number of live timers (for tests). */
  get liveTimers(): number {
    return this.timeouts.size + this.intervals.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timeouts) clearTimeout(timer);
    for (const timer of this.intervals) clearInterval(timer);
    this.timeouts.clear();
    this.intervals.clear();
  }
}

/** Hands frames to the VM; `wake`: step it at once (else they wait for its next step). */
export type DeliverFrames = (frames: Uint8Array[], wake: boolean) => void;

export class BoardBus {
  readonly bus: JDBus;
  /**
   * Frames the VM sent: through jacdac-ts, answered by the reading shortcut, announces
   * not handed to jacdac-ts while lean (for tests).
   */
  readonly counts = { toJacdac: 0, shortcut: 0, leanDropped: 0 };
  private shortcut: ReadingShortcut | undefined;
  private leanAnnounce: Timer | undefined;
  /** `full()` was asked for: the bus is never made lean again. */
  private keptFull = false;
  readonly scheduler = new TrackedScheduler();
  private readonly bridge: ReturnType<typeof createProxyBridge>;
  private toBus: Uint8Array[] = [];
  private toVm: Uint8Array[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private closed = false;

  /** `deliver` hands frames to the VM; it is never called from inside a VM step. */
  constructor(private readonly deliver: DeliverFrames) {
    this.bus = new JDBus([], { scheduler: this.scheduler, disableRoleManager: true });
    // jacdac-ts polls, every 50 ms, every register of every device on the bus for ones
    // a client streams or listens to. Nothing on a board's bus reads registers that way:
    // start-up uses refresh() and commands, which send their own requests. At 100 boards
    // the poll was a fifth of the simulator's CPU.
    this.bus.backgroundRefreshRegisters = false;
    // Every 499 ms jacdac-ts announces its own bus device (an "infrastructure" device, a
    // tool's view of the bus that no board has), processes that announce itself, and
    // forwards it to the VM, which processes it too: a tenth of a running board's CPU for
    // a device nothing on a board binds to. Its simulated devices (the sensors) still
    // announce. jacdac-ts declares the method private, hence the cast.
    (this.bus as unknown as { sendAnnounce(): Promise<void> }).sendAnnounce = () => Promise.resolve();
    this.bridge = createProxyBridge(frame => this.enqueue(this.toVm, frame.slice()));
    this.bridge.bus = this.bus;
  }

  /**
   * Once the board runs: jacdac-ts's own timers stop — its announce tick (every 499 ms,
   * which announced the simulated devices through its whole send path, processing each
   * announce itself too) and its device expiry — and `announce()` (./sensors
   * sensorAnnouncer: the same frame) goes straight to the VM on a timer of its own. The
   * VM's announces are no longer handed to jacdac-ts: what it knows of the VM (start-up
   * needed it) stays as it was. Every other frame still goes through jacdac-ts, which
   * processes frames with its timers stopped. `full()` undoes it.
   */
  lean(announce: () => Uint8Array): void {
    if (this.closed || this.leanAnnounce || this.keptFull) return;
    this.leanAnnounce = this.scheduler.setInterval(() => {
      this.enqueue(this.toVm, announce());
    }, ANNOUNCE_INTERVAL_MS);
    void this.bus.stop();
  }

  /**
   * jacdac-ts's bus runs in full again, timers and all, and stays so (for a caller who adds
   * devices to it: their announces come from jacdac-ts's tick). Asked before the board
   * runs, it keeps a later `lean()` from stopping that tick.
   */
  full(): void {
    this.keptFull = true;
    if (this.closed || !this.leanAnnounce) return;
    this.scheduler.clearInterval(this.leanAnnounce);
    this.leanAnnounce = undefined;
    this.bus.start();
    // start() turns the register poll back on; see the constructor.
    this.bus.backgroundRefreshRegisters = false;
  }

  get isLean(): boolean {
    return this.leanAnnounce !== undefined;
  }

  /** From now on, reading gets `shortcut` recognises are answered by it, not by the bus. */
  answerReadings(shortcut: ReadingShortcut): void {
    this.shortcut = shortcut;
  }

  /** A frame the VM sent (may be called from inside a VM step). */
  fromVm(frame: Uint8Array): void {
    this.enqueue(this.toBus, frame);
  }

  private enqueue(queue: Uint8Array[], frame: Uint8Array): void {
    if (this.closed) return;
    queue.push(frame);
    this.flushTimer ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushTimer = undefined;
    // Frames jacdac-ts produces while flushing wait for the next turn; the shortcut's
    // answers go in with this one.
    const toBus = this.toBus;
    const toVm = this.toVm;
    this.toBus = [];
    this.toVm = [];
    for (const frame of toBus) {
      if (this.closed) return;
      const answers = this.shortcut?.answer(frame);
      if (this.leanAnnounce && !answers && isAnnounceOnly(frame)) {
        this.counts.leanDropped++;
      } else if (answers) {
        this.counts.shortcut++;
        toVm.push(...answers);
      } else {
        this.counts.toJacdac++;
        this.bridge.receiveFrameOrPacket(frame);
      }
    }
    if (this.closed || toVm.length === 0) return;
    this.deliver(toVm, !toVm.every(isAnnounceOnly));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.toBus = [];
    this.toVm = [];
    this.bridge.bus = undefined as unknown as JDBus;
    await this.bus.stop();
    this.scheduler.dispose();
  }
}

/**
 * One DeviceScript VM instance behind a narrow, typed interface.
 *
 * This is the only place that touches the emscripten instance (`RawVm`): hook
 * assignment, the wasm heap (C strings, socket payloads) and the start/stop calls.
 *
 * Re-entrancy rule: the VM calls its hooks from inside a VM step. Nothing outside this
 * file runs inside a step: log lines, panics and faults are queued and handed out on
 * the next turn of the event loop, and socket events are delivered into the VM after
 * the current step has returned. Jacdac frames leave synchronously through
 * `VmHooks.frame`, whose receiver must queue them (see ./bus).
 */
import { loadVmFactory, type RawVm } from "./bundle.js";
import type { BoardSocket, SocketConnector, SocketTarget } from "./socket.js";
import { nextStepUs } from "./step-pace.js";
import { type StepHandle, threadScheduler } from "./step-scheduler.js";

export interface VmHooks {
  /** A Jacdac frame the VM sent. Called inside a VM step: queue it, do not answer it here. */
  frame(frame: Uint8Array): void;
  /** One VM log line, as printed. */
  dmesg(line: string): void;
  /** The program stopped (code 0) or panicked (code != 0). */
  panic(code: number): void;
  /** A VM step threw; the VM has stopped itself. */
  fault(error: unknown): void;
  socket: SocketConnector;
}

/** Event types of `_jd_em_tcpsock_on_event` (JD_CONN_EV_* in the runtime). */
const SockEvent = { Open: 1, Close: 2, Error: 3, Message: 4 } as const;
type SockEvent = (typeof SockEvent)[keyof typeof SockEvent];

/** The glue's `devsStart()` steps a VM first 10 ms after it starts. */
const FIRST_STEP_MS = 10;

/** How many bytes of a host name the C side may pass (as the CLI's own host reads it). */
const MAX_HOST_BYTES = 256;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function readCString(heap: Uint8Array, ptr: number, maxBytes: number): string {
  let end = ptr;
  while (end < heap.length && end - ptr < maxBytes && heap[end] !== 0) end++;
  return utf8Decoder.decode(heap.subarray(ptr, end));
}

export type VmState = "idle" | "running" | "stopped";

/**
 * The VM's persistent flash (the runtime's storage region: settings and program), as a
 * board's flash holds it. Without one the VM starts blank and saves nothing.
 */
export interface VmFlash {
  /** Bytes of emulated flash; the runtime sizes its storage from it (a board's: 256 KiB). */
  size: number;
  /** What the flash holds at start (shorter = the rest erased). */
  load(): Uint8Array;
  /** The runtime wrote to flash: its contents up to the last written byte. */
  save?(image: Uint8Array): void;
}

export class Vm {
  private state: VmState = "idle";
  private socket: BoardSocket | null = null;
  private outbox: Array<() => void> = [];
  private outboxTimer: NodeJS.Immediate | undefined;
  private stepping: StepHandle | undefined;

  private constructor(
    private readonly raw: RawVm,
    private readonly hooks: VmHooks,
  ) {}

  /** A fresh instance (own wasm memory), hooks installed, not started. */
  static async create(hooks: VmHooks, flash?: VmFlash): Promise<Vm> {
    const factory = loadVmFactory();
    // The factory reads these once at creation: stdout/stderr of the C side.
    // The print hooks exist before the Vm object they report to.
    const created: { vm?: Vm } = {};
    const raw = await factory({
      print: text => created.vm?.later(() => hooks.dmesg(text)),
      printErr: text => created.vm?.later(() => hooks.dmesg(text)),
    });
    const vm = new Vm(raw, hooks);
    created.vm = vm;
    vm.install(flash);
    return vm;
  }

  get status(): VmState {
    return this.state;
  }

  private install(flash: VmFlash | undefined): void {
    const { raw, hooks } = this;
    // The runtime asks for these once, when it starts (runtime/posix/flash.c).
    (raw as RawVm & { flashSize?: number }).flashSize = flash?.size;
    raw.flashLoad = flash ? () => flash.load() : null;
    raw.flashSave = flash?.save ? image => flash.save!(image.slice()) : null;
    raw.sendPacket = frame => {
      if (this.state === "running") hooks.frame(frame);
    };
    raw.dmesg = line => this.later(() => hooks.dmesg(line));
    raw.log = (...args) => this.later(() => hooks.dmesg(args.map(String).join(" ")));
    raw.error = error => this.later(() => hooks.fault(error));
    raw.panicHandler = code => this.later(() => hooks.panic(code));
    raw.sockIsAvailable = () => true;
    raw.sockOpen = (hostPtr, port) => {
      const host = readCString(raw.HEAPU8, hostPtr, MAX_HOST_BYTES);
      this.openSocket({ host, port: Math.abs(port), tls: port < 0 });
      return 0;
    };
    raw.sockWrite = (ptr, len) => {
      if (!this.socket) return -10;
      this.socket.write(raw.HEAPU8.slice(ptr, ptr + len));
      return 0;
    };
    raw.sockClose = () => {
      if (!this.socket) return -10;
      const sock = this.socket;
      this.socket = null;
      sock.end();
      return 0;
    };
  }

  /**
   * Starts the runtime with no program: its own Jacdac services (settings, DeviceScript
   * manager, ...) come up and announce themselves. GC stress stays off.
   *
   * The glue's `devsStart()` would step this instance every 10 ms on a timer of its own;
   * instead the thread's scheduler (./step-scheduler) steps it: first 10 ms after start,
   * then when the runtime or the program next needs it (./step-pace).
   */
  start(deviceId: string): void {
    if (this.state !== "idle") throw new Error(`Cannot start a VM that is ${this.state}.`);
    const raw = this.raw;
    raw.devsGcStress(false);
    raw.devsSetDeviceId(deviceId);
    raw.devsInit();
    this.stepping = threadScheduler().add(
      {
        step: () => this.step(),
        // As the glue's step loop does: report the error; the VM is stepped no more.
        failed: error => raw.error(error),
      },
      FIRST_STEP_MS,
    );
    this.state = "running";
  }

  /** One step; returns the µs until the next is due. */
  private step(): number {
    // Past devsInit() the runtime is initialised: the exports are called without the glue's wrapper.
    const wasm = this.raw.exports;
    const stepUs = wasm.jd_em_process();
    const ctx = wasm.devsmgr_get_ctx();
    return nextStepUs(stepUs, ctx === 0 ? undefined : wasm.devs_fiber_get_max_sleep(ctx));
  }

  /** Writes the bytecode to the VM's flash and starts it. */
  deploy(program: Uint8Array): void {
    if (this.state !== "running") throw new Error(`Cannot deploy to a VM that is ${this.state}.`);
    const code = this.raw.devsDeploy(program);
    if (code !== 0) {
      throw new Error(
        `The VM rejected the program (${program.length} bytes): deploy error ${code}. Rebuild it with the pinned @devicescript/cli.`,
      );
    }
  }

  /**
   * Feeds Jacdac frames in; with `wake`, then steps the VM at once, as the glue's
   * `handlePacket` does (it cannot here: it only acts while its own timer is armed).
   * Without, they wait in the runtime's receive queue for the VM's next scheduled step,
   * which takes every queued frame (jacdac-c's jd_process_everything). Must not be called
   * from inside a VM step.
   */
  receive(frames: readonly Uint8Array[], wake = true): void {
    if (this.state !== "running") return;
    const raw = this.raw;
    for (const frame of frames) {
      const ptr = raw._malloc(frame.length);
      raw.HEAPU8.set(frame, ptr);
      try {
        raw.exports.jd_em_frame_received(ptr);
      } catch {
        // As handlePacket: a frame the runtime throws on is dropped.
      } finally {
        raw._free(ptr);
      }
    }
    if (wake) this.stepping?.stepNow();
  }

  /** Stops the VM; the socket is closed gracefully (pending data flushed, then FIN). */
  stop(): void {
    this.halt(sock => sock.end());
  }

  /** Stops the VM; the socket is destroyed with nothing more written. */
  kill(): void {
    this.halt(sock => sock.destroy());
  }

  private halt(close: (sock: BoardSocket) => void): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    // Also from inside a VM step: the scheduler does not step it again.
    this.stepping?.remove();
    const sock = this.socket;
    this.socket = null;
    if (sock) close(sock);
    // Hand out what the VM said before it stopped, then drop the queue.
    this.flushOutbox();
  }

  private later(task: () => void): void {
    if (this.state === "stopped") return;
    this.outbox.push(task);
    this.outboxTimer ??= setImmediate(() => this.flushOutbox());
  }

  private flushOutbox(): void {
    if (this.outboxTimer) clearImmediate(this.outboxTimer);
    this.outboxTimer = undefined;
    const tasks = this.outbox;
    this.outbox = [];
    for (const task of tasks) task();
  }

  private openSocket(target: SocketTarget): void {
    // One socket at a time, as in the CLI's host: a new open ends the old one.
    const previous = this.socket;
    this.socket = null;
    previous?.end();
    let sock: BoardSocket | null = null;
    const deliver = (type: SockEvent, payload?: Uint8Array | string) => {
      // After the current VM step, and only while this socket is still the VM's.
      queueMicrotask(() => {
        if (this.state !== "running" || !sock || this.socket !== sock) return;
        if (type === SockEvent.Close || type === SockEvent.Error) this.socket = null;
        this.socketEvent(type, payload);
      });
    };
    sock = this.hooks.socket.connect(target, {
      open: () => deliver(SockEvent.Open),
      data: chunk => deliver(SockEvent.Message, chunk.slice()),
      error: message => deliver(SockEvent.Error, message),
      close: () => deliver(SockEvent.Close),
    });
    this.socket = sock;
  }

  private socketEvent(type: SockEvent, payload?: Uint8Array | string): void {
    const { raw } = this;
    const bytes = typeof payload === "string" ? utf8.encode(payload) : payload;
    let ptr = 0;
    if (bytes) {
      // +1: strings go in NUL-terminated, as the CLI's host passes them.
      ptr = raw._malloc(bytes.length + 1);
      raw.HEAPU8.set(bytes, ptr);
      raw.HEAPU8[ptr + bytes.length] = 0;
    }
    try {
      raw._jd_em_tcpsock_on_event(type, ptr, bytes ? bytes.length : 0);
      // Let the program react before the next event goes in. The runtime's net library
      // waits for "open" with an emitter that keeps only the last value: "open" and
      // "data" delivered in one go make its connect() fail an assertion. The next step
      // then comes when this one says (the program may have a timer due sooner than the
      // scheduled step).
      this.stepping?.rescheduleIn(this.step());
    } catch (error) {
      // As the instance's own step loop does: a throwing VM is stopped.
      this.later(() => this.hooks.fault(error));
      this.halt(sock => sock.destroy());
      return;
    } finally {
      if (ptr && this.state !== "stopped") raw._free(ptr);
    }
  }
}

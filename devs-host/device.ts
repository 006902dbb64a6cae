/**
 * A simulated sensor board: one DeviceScript VM running compiled firmware, with its own
 * Jacdac bus, simulated sensors, per-board settings and a TCP/TLS socket seam.
 *
 * Start-up, in order (each step waits for the one before):
 *   1. a fresh VM instance; its bus, bridged; the sensor device added;
 *   2. the runtime started with no program (GC stress off), under `deviceId`;
 *   3. every setting stored in the runtime's Settings service and read back;
 *   4. the program deployed;
 *   5. the DeviceScript manager reports the program running → `start()` resolves.
 * Since the program is only deployed after step 3, its first `readSetting` sees the
 * settings; there is no window in which it could read the defaults.
 * Booting from `flash` (a flashed board) skips steps 3 and 4: the runtime mounts the
 * flash and starts the program stored there by itself.
 */
import {
  DeviceScriptManagerReg,
  type JDBus,
  type JDDevice,
  SELF_ANNOUNCE,
  SRV_DEVICE_SCRIPT_MANAGER,
} from "./jacdac.js";
import { BoardBus } from "./bus.js";
import { type DmesgLine, parseDmesg } from "./log.js";
import { addSensors, sensorAnnouncer, sensorReadingShortcut, type SensorSpec } from "./sensors.js";
import { type BoardSettings, deliverSettings, encodeSettings, waitForVmDevice } from "./settings.js";
import { netConnector, type SocketConnector } from "./socket.js";
import type { ActuatorSpec } from "./actuators.js";
import { Vm, type VmFlash } from "./vm.js";

export interface BoardOptions {
  /** The VM's device id string (the runtime derives its Jacdac device id from it). */
  deviceId: string;
  /** Compiled bytecode (`.devs`), see ./compile. Not needed when booting from `flash`. */
  program?: Uint8Array;
  /** Visible to the firmware's `readSetting(key)`; values are stored as JSON. */
  settings?: BoardSettings;
  sensors?: readonly SensorSpec[];
  /** Relays and buttons the program's roles bind to (./actuators.ts). */
  actuators?: readonly ActuatorSpec[];
  /** The firmware's `console.log` lines, marker and colours removed. */
  onLog?: (line: string) => void;
  /** Every VM log line, classified. */
  onDmesg?: (line: DmesgLine) => void;
  /** The program ended (0) or panicked. */
  onPanic?: (code: number) => void;
  /** VM faults and sensor read problems. Without a listener they go to stderr. */
  onError?: (error: Error) => void;
  /** Where the firmware's socket goes; real TCP/TLS by default. */
  socket?: SocketConnector;
  /**
   * Boot from this flash (the storage a bundled image holds) as a flashed board does: the
   * runtime mounts it and starts the program stored in it, with the settings stored in
   * it; `program` and `settings` are then not delivered.
   */
  flash?: VmFlash;
  /** Deadline for `start()` (ms). Default 10 000. */
  startTimeoutMs?: number;
}

export type BoardState = "created" | "starting" | "running" | "stopped";

interface BoardEvents {
  log: string;
  dmesg: DmesgLine;
  panic: number;
  error: Error;
}

type Listener<T> = (value: T) => void;

const DEFAULT_START_TIMEOUT_MS = 10_000;

export class SimulatedBoard {
  private state: BoardState = "created";
  private vm: Vm | undefined;
  private boardBus: BoardBus | undefined;
  private starting: AbortController | undefined;
  private lastVmError: string | undefined;
  private vmDeviceId: string | undefined;
  private readonly listeners: { [K in keyof BoardEvents]: Set<Listener<BoardEvents[K]>> } = {
    log: new Set(),
    dmesg: new Set(),
    panic: new Set(),
    error: new Set(),
  };

  constructor(private readonly options: BoardOptions) {
    if (options.onLog) this.listeners.log.add(options.onLog);
    if (options.onDmesg) this.listeners.dmesg.add(options.onDmesg);
    if (options.onPanic) this.listeners.panic.add(options.onPanic);
    if (options.onError) this.listeners.error.add(options.onError);
  }

  get deviceId(): string {
    return this.options.deviceId;
  }

  get status(): BoardState {
    return this.state;
  }

  /** The VM's Jacdac device id (16 hex digits; `ds.deviceIdentifier("self")`), once started. */
  get jacdacDeviceId(): string | undefined {
    return this.vmDeviceId;
  }

  /** What became of the frames the VM sent (./bus BoardBus.counts; for tests). */
  get frameCounts(): Readonly<BoardBus["counts"]> | undefined {
    return this.boardBus?.counts;
  }

  /**
   * The board's Jacdac bus while it runs (to add more simulated devices). A running board
   * keeps jacdac-ts lean (./bus BoardBus.lean); whoever asks for the bus gets all of it,
   * timers and announces, from then on.
   */
  get bus(): JDBus | undefined {
    this.boardBus?.full();
    return this.boardBus?.bus;
  }

  /** Adds a listener; returns the function that removes it. All are removed by stop()/kill(). */
  on<K extends keyof BoardEvents>(event: K, listener: Listener<BoardEvents[K]>): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  private emit<K extends keyof BoardEvents>(event: K, value: BoardEvents[K]): void {
    const listeners = this.listeners[event];
    if (event === "error" && listeners.size === 0) {
      console.error(`board ${this.deviceId}: ${(value as Error).message}`);
      return;
    }
    for (const listener of [...listeners]) listener(value);
  }

  async start(): Promise<void> {
    if (this.state !== "created") {
      throw new Error(`Board ${this.deviceId} is ${this.state}: a board starts once; create a new one.`);
    }
    this.state = "starting";
    const timeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const abort = new AbortController();
    this.starting = abort;
    const deadline = setTimeout(
      () => abort.abort(new Error(`Board ${this.deviceId} did not start within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    try {
      const settings = encodeSettings(this.options.settings ?? {});
      const vm = await Vm.create(
        {
          frame: frame => this.boardBus?.fromVm(frame),
          dmesg: raw => this.onDmesg(raw),
          panic: code => this.emit("panic", code),
          fault: error => this.emit("error", toError(error, `VM of board ${this.deviceId} faulted`)),
          socket: this.options.socket ?? netConnector,
        },
        this.options.flash,
      );
      this.vm = vm;
      abort.signal.throwIfAborted();
      const boardBus = new BoardBus((frames, wake) => vm.receive(frames, wake));
      this.boardBus = boardBus;
      const sensorDevice = addSensors(
        boardBus.bus,
        this.options.sensors ?? [],
        message => this.emit("error", new Error(message)),
        this.options.actuators ?? [],
      );
      if (sensorDevice) boardBus.answerReadings(sensorReadingShortcut(sensorDevice));
      vm.start(this.deviceId);
      // Announce the sensor device now rather than at the bus's next 0.5 s tick, so the
      // program's roles can bind as soon as it creates them.
      boardBus.bus.emit(SELF_ANNOUNCE);
      // Even without settings: once the runtime has announced itself, the program's
      // Settings role binds at once instead of at the next auto-bind round (~1 s).
      const device = await untilAborted(waitForVmDevice(boardBus.bus, abort.signal), abort.signal);
      this.vmDeviceId = device.deviceId;
      if (!this.options.flash) {
        if (settings.length > 0) {
          await untilAborted(deliverSettings(device, settings), abort.signal);
        }
        abort.signal.throwIfAborted();
        if (!this.options.program)
          throw new Error(`Board ${this.deviceId} has neither a program nor a flash to boot from.`);
        vm.deploy(this.options.program);
      }
      await untilAborted(this.waitUntilRunning(device, abort.signal), abort.signal);
      abort.signal.throwIfAborted();
      this.state = "running";
      // Start-up needed jacdac-ts's view of the VM; running, the board needs its sensors
      // announced and answered, which the bus does without jacdac-ts's timers.
      if (sensorDevice) boardBus.lean(sensorAnnouncer(sensorDevice));
    } catch (error) {
      const lastError = this.lastVmError;
      // Aborted = the deadline passed or stop() was called; otherwise a step failed.
      const reason = abort.signal.aborted ? (abort.signal.reason as Error) : toError(error, "");
      await this.teardown(vm => vm.kill());
      if (lastError && reason instanceof Error && !reason.message.includes(lastError)) {
        reason.message += ` Last VM error: ${lastError}`;
      }
      throw reason;
    } finally {
      clearTimeout(deadline);
      this.starting = undefined;
    }
  }

  /** Stops the VM, closes its socket gracefully, and releases every timer and listener. */
  async stop(): Promise<void> {
    await this.teardown(vm => vm.stop());
  }

  /** Like a power cut: the socket is destroyed with nothing more written. */
  async kill(): Promise<void> {
    await this.teardown(vm => vm.kill());
  }

  private async teardown(halt: (vm: Vm) => void): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.starting?.abort(new Error(`Board ${this.deviceId} was stopped while starting.`));
    if (this.vm) halt(this.vm);
    await this.boardBus?.close();
    for (const set of Object.values(this.listeners)) set.clear();
  }

  private onDmesg(raw: string): void {
    const line = parseDmesg(raw);
    if (line.kind === "error") this.lastVmError = line.text;
    this.emit("dmesg", line);
    if (line.kind === "log") this.emit("log", line.text);
  }

  private async waitUntilRunning(device: JDDevice, signal: AbortSignal): Promise<void> {
    const manager = device.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0];
    const running = manager.register(DeviceScriptManagerReg.Running);
    for (;;) {
      signal.throwIfAborted();
      await running.refresh();
      if (running.boolValue) return;
      await sleep(20);
    }
  }
}

function toError(value: unknown, context: string): Error {
  if (value instanceof Error) {
    return context ? new Error(`${context}: ${value.message}`, { cause: value }) : value;
  }
  return new Error(context ? `${context}: ${String(value)}` : String(value));
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts. Steps that wait on the
 * bus can hang once the bus is closed; start() must still settle.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      value => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

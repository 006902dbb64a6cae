/**
 * Loads the DeviceScript WASM VM factory out of the `@devicescript/cli` bundle.
 *
 * The CLI ships as one esbuild bundle. The VM (an emscripten MODULARIZE build with the
 * wasm binary inlined as base64) sits in it as a CommonJS module wrapper:
 *
 *     var require_devicescript_vm = __commonJS({
 *       "runtime/devicescript-vm/built/devicescript-vm.js"(exports, module2) {
 *         <VM SOURCE>
 *       }
 *     });
 *
 * This file is the only one that knows this. It cuts <VM SOURCE> out, checks it byte for
 * byte against the digest recorded below, and evaluates it as a CommonJS module. Any
 * other CLI version is refused: the simulator depends on the VM's exact host interface,
 * written down as `RawVm` below.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { runInThisContext } from "node:vm";
import { withExtraExports } from "./wasm-exports.js";

/** The `@devicescript/cli` version whose VM this file was checked against. */
export const PINNED_CLI_VERSION = "2.16.4";

/** sha256 (hex) of the VM module source inside the pinned CLI bundle. */
export const VM_SOURCE_SHA256 = "7b2c6f18a6a74eb5005aa7e625805520ffd050abeee4ea2794786d698684ff89";

/**
 * One VM instance as the emscripten module exposes it (the `Exts` namespace of
 * runtime/devicescript-vm plus the emscripten exports used here). The C side looks the
 * hooks (`sendPacket`, `dmesg`, `sock*`, `flash*`, `panicHandler`) up on the instance at
 * call time, so a host replaces them by assignment.
 */
export interface RawVm {
  /** Arms the glue's own step timer (after `devsInit`); the simulator steps VMs itself (./step-scheduler). */
  devsStart(): void;
  /** What `devsStart` does before arming its timer: jacdac-c's init (once per instance). */
  devsInit(): void;
  devsStop(): void;
  devsIsRunning(): boolean;
  devsSetDeviceId(id: string): void;
  /** 0 on success. */
  devsDeploy(binary: Uint8Array): number;
  /** 0 when the bytecode passes the VM's verifier. */
  devsVerify(binary: Uint8Array): number;
  devsGcStress(enabled: boolean): void;
  /** Feeds one Jacdac frame in; dropped unless the VM is started. */
  handlePacket(frame: Uint8Array): void;
  /** Called with every Jacdac frame the VM sends. */
  sendPacket: (frame: Uint8Array) => void;
  /** One line of the VM's log; firmware `console.log` lines start with "> ". */
  dmesg: (line: string) => void;
  /** The JS glue's own diagnostics (`log`) and errors thrown by a VM step (`error`). */
  log: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
  panicHandler: ((code: number) => void) | undefined;
  /** null: no persistent flash (the VM starts blank every time). */
  flashLoad: (() => Uint8Array) | null;
  flashSave: ((image: Uint8Array) => void) | null;
  /** `hostPtr` is a NUL-terminated UTF-8 string in `HEAPU8`; a negative port means TLS. Returns 0. */
  sockOpen: (hostPtr: number, port: number) => number;
  sockWrite: (ptr: number, len: number) => number;
  sockClose: () => number;
  sockIsAvailable: () => boolean;
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  /** One VM step (what the instance's own timer runs); returns µs until the next one is due. */
  _jd_em_process(): number;
  /** The wasm instance's own exports (set by `loadVmFactory`). */
  exports: WasmExports;
  /** Socket event into the VM: type OPEN=1 CLOSE=2 ERROR=3 MESSAGE=4, payload at ptr. */
  _jd_em_tcpsock_on_event(type: number, ptr: number, len: number): void;
}

/**
 * The C functions as the wasm instance exports them. The glue's `_jd_em_process` & co. wrap
 * each in a check that the runtime is initialised and an `apply`: at a hundred steps a
 * second per board, the wrapper cost more than the step's own JavaScript side.
 */
export interface WasmExports {
  jd_em_process(): number;
  /** The DeviceScript context of the running program (0 before one is deployed). */
  devsmgr_get_ctx(): number;
  /** µs until the program's next fiber is due (what the step clamps to 10 ms). */
  devs_fiber_get_max_sleep(ctx: number): number;
  /** A Jacdac frame at `frame` in the heap (its size is in its header); < 0 when refused. */
  jd_em_frame_received(frame: number): number;
}

/** Module options understood by the emscripten factory (only those used here). */
export interface RawVmOptions {
  /** stdout/stderr of the C side (printf); not the VM log. */
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  /**
   * Emscripten's hook for making the wasm instance itself: gets the imports and hands the
   * instance to `receive`; returns its exports. `loadVmFactory` sets one that reuses a
   * module compiled once per process.
   */
  instantiateWasm?: (
    imports: object,
    receive: (instance: WasmInstance, module: WasmModule) => void,
  ) => object;
}

/**
 * The part of the WebAssembly JS API used here, typed by hand: the project's type
 * libraries (ES2022 and Node) declare no `WebAssembly`.
 */
type WasmModule = object;
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export type VmFactory = (options?: RawVmOptions) => Promise<RawVm>;

const START_MARKER =
  'var require_devicescript_vm = __commonJS({\n  "runtime/devicescript-vm/built/devicescript-vm.js"(exports, module2) {\n';
/** The wrapper's closing lines; the VM source itself is indented deeper, so the first hit ends it. */
const END_MARKER = "\n  }\n});\n";

const PIN_HINT = `Pin "@devicescript/cli" to exactly "${PINNED_CLI_VERSION}" in package.json and reinstall.`;

export class VmBundleError extends Error {
  constructor(message: string) {
    super(`${message} ${PIN_HINT}`);
    this.name = "VmBundleError";
  }
}

export interface CliLocation {
  /** Absolute path of the CLI's package.json. */
  packageJson: string;
  /** Absolute path of `built/devicescript-cli.cjs`. */
  bundle: string;
  version: string;
}

/** Where the installed `@devicescript/cli` lives, and its version (checked against the pin). */
export function locateCli(): CliLocation {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve("@devicescript/cli/package.json");
  } catch (error) {
    throw new VmBundleError(`Cannot find the package "@devicescript/cli" (${(error as Error).message}).`);
  }
  const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  const version = String(pkg.version);
  checkCliVersion(version);
  return { packageJson, bundle: `${dirname(packageJson)}/built/devicescript-cli.cjs`, version };
}

/** Throws unless `version` is the pinned one. Pure. */
export function checkCliVersion(version: string): void {
  if (version !== PINNED_CLI_VERSION) {
    throw new VmBundleError(
      `"@devicescript/cli" is version ${version}, expected ${PINNED_CLI_VERSION}: its bundled VM is not the one this simulator was checked against.`,
    );
  }
}

/** Throws unless the VM source has the recorded digest. Pure. */
export function checkVmSource(source: string, where: string): void {
  const digest = sha256Hex(source);
  if (digest !== VM_SOURCE_SHA256) {
    throw new VmBundleError(
      `The VM source in ${where} has sha256 ${digest}, expected ${VM_SOURCE_SHA256}: the installed file differs from the published ${PINNED_CLI_VERSION}.`,
    );
  }
}

/**
 * The VM's own functions the host also calls, exported by name (./wasm-exports): how long
 * the program's fibers may sleep, which a step hides behind its 10 ms clamp.
 */
const EXTRA_EXPORTS = ["devsmgr_get_ctx", "devs_fiber_get_max_sleep"];

/** How the VM source carries its wasm binary (emscripten SINGLE_FILE). */
const WASM_DATA_URI = /wasmBinaryFile = "data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/;

/** The wasm binary inlined in the VM source. Pure. */
export function extractWasmBinary(source: string): Uint8Array {
  const match = WASM_DATA_URI.exec(source);
  if (!match)
    throw new VmBundleError("The VM module no longer inlines its wasm binary as a base64 data URI.");
  return new Uint8Array(Buffer.from(match[1], "base64"));
}

/** Cuts the VM module source out of the bundle text. Pure; exported for tests. */
export function extractVmSource(bundleText: string): string {
  const start = bundleText.indexOf(START_MARKER);
  if (start < 0) {
    throw new VmBundleError(
      'The CLI bundle no longer contains the module "runtime/devicescript-vm/built/devicescript-vm.js" in the expected wrapper.',
    );
  }
  if (bundleText.indexOf(START_MARKER, start + 1) >= 0) {
    throw new VmBundleError("The CLI bundle contains the VM module wrapper more than once.");
  }
  const bodyStart = start + START_MARKER.length;
  const end = bundleText.indexOf(END_MARKER, bodyStart);
  if (end < 0) throw new VmBundleError("The VM module wrapper in the CLI bundle has no closing lines.");
  return bundleText.slice(bodyStart, end);
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The console the VM module sees. Every per-instance output has a hook (`dmesg`,
 * `log`, `error`, `print`, `printErr`, `panicHandler`) that the host sets; what is left
 * are the module's own fallbacks, sent to stderr so they never mix into a program's
 * stdout. The panic handler's own `console.log("PANIC", code)` is dropped: the host gets
 * the same code through `panicHandler`.
 */
function vmConsole(): Console {
  const toStderr = (...args: unknown[]) => console.error(...args);
  return Object.assign(Object.create(console) as Console, {
    log: (...args: unknown[]) => {
      if (args.length === 2 && args[0] === "PANIC" && typeof args[1] === "number") return;
      toStderr(...args);
    },
    info: toStderr,
    debug: toStderr,
    warn: toStderr,
    error: toStderr,
  });
}

let cachedFactory: VmFactory | undefined;

/**
 * The VM factory: each call returns a promise of a fresh VM instance (its own wasm
 * memory and timers). The bundle is read and checked once per process.
 */
export function loadVmFactory(): VmFactory {
  if (cachedFactory) return cachedFactory;
  const cli = locateCli();
  const source = extractVmSource(readFileSync(cli.bundle, "utf8"));
  checkVmSource(source, cli.bundle);
  const wrapper = runInThisContext(
    `(function (exports, module2, require, __filename, __dirname, console) {\n${source}\n})`,
    { filename: `${cli.bundle}#devicescript-vm` },
  ) as (
    exports: object,
    module2: { exports: unknown },
    require: NodeJS.Require,
    filename: string,
    dirname: string,
    console: Console,
  ) => void;
  const module2: { exports: unknown } = { exports: {} };
  wrapper(
    module2.exports as object,
    module2,
    createRequire(cli.bundle),
    cli.bundle,
    dirname(cli.bundle),
    vmConsole(),
  );
  if (typeof module2.exports !== "function") {
    throw new VmBundleError("The VM module in the CLI bundle did not export a factory function.");
  }
  const factory = module2.exports as VmFactory;
  // Left alone, every instance decodes the base64 binary and compiles it again: over
  // half of the CPU an instance costs to create. The compiled module holds no state
  // (each instance makes its own memory), so one serves them all.
  const wasm = new wasmApi.Module(withExtraExports(extractWasmBinary(source), EXTRA_EXPORTS));
  cachedFactory = async options => {
    let exports: object | undefined;
    const instantiateWasm: RawVmOptions["instantiateWasm"] = (imports, receive) => {
      const instance = new wasmApi.Instance(wasm, imports);
      exports = instance.exports;
      receive(instance, wasm);
      return instance.exports;
    };
    const raw = await factory({ instantiateWasm, ...options });
    return Object.assign(raw, { exports: exports as WasmExports });
  };
  return cachedFactory;
}

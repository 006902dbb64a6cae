import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { compileDeviceScript } from "../../devs-host/compile.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));
const VM_MODULE = new URL("../../devs-host/index.ts", import.meta.url).href;
const EXIT_DEADLINE_MS = 5_000;
const RUN_DEADLINE_MS = 60_000;

/**
 * Runs in a child process: two boards (sensors + settings, and a socket to the parent's
 * server), both started, then stopped (or killed). After that the child does nothing:
 * it must exit by itself.
 */
const CHILD = `
const [vmModule, probeDir, port, how] = process.argv.slice(1);
const { SimulatedBoard, compileDeviceScript, waitForLog } = await import(vmModule);
const readings = await compileDeviceScript({ projectDir: probeDir, entry: "readings.ts" });
const socket = await compileDeviceScript({ projectDir: probeDir, entry: "socket.ts" });
const sensing = new SimulatedBoard({
  deviceId: "exit-sensors",
  program: readings.bytecode,
  settings: { greeting: "bye", count: 1 },
  sensors: [{ kind: "temperature", read: () => 20 }, { kind: "humidity", read: () => 40 }],
});
const talking = new SimulatedBoard({ deviceId: "exit-socket", program: socket.bytecode, settings: { port: Number(port) } });
const reading = waitForLog(sensing, /^reading /, 15000);
const welcome = waitForLog(talking, /^socket got welcome$/, 15000);
await Promise.all([sensing.start(), talking.start()]);
await Promise.all([reading, welcome]);
await Promise.all([sensing[how](), talking[how]()]);
console.log("stopped " + Date.now());
setImmediate(() => console.log("resources " + JSON.stringify(process.getActiveResourcesInfo())));
`;

async function runChild(t: ExecutionContext, how: "stop" | "kill") {
  const server = net.createServer(socket => {
    socket.on("error", () => undefined);
    socket.once("data", () => socket.write("welcome\n"));
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;

  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=source",
      "--input-type=module",
      "-e",
      CHILD,
      VM_MODULE,
      PROBE_DIR,
      String(port),
      how,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.teardown(() => void child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    resolve => {
      const timer = setTimeout(() => child.kill("SIGKILL"), RUN_DEADLINE_MS);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, at: Date.now() });
      });
    },
  );
  t.log(stdout.trim());
  const stoppedAt = Number(/^stopped (\d+)$/m.exec(stdout)?.[1]);
  t.is(exit.code, 0, `exit ${exit.code} ${exit.signal ?? ""}\n${stderr}`);
  t.true(Number.isFinite(stoppedAt), `the child never reached stop:\n${stdout}\n${stderr}`);
  t.true(exit.at - stoppedAt < EXIT_DEADLINE_MS, `exited ${exit.at - stoppedAt} ms after ${how}()`);
}

test.before(async () => {
  // Build once here so the child's compile is a cache hit and its run is short.
  await compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" });
  await compileDeviceScript({ projectDir: PROBE_DIR, entry: "socket.ts" });
});

test("(f) after stop() a process with running boards exits by itself", t => runChild(t, "stop"));
test("(f) after kill() a process with running boards exits by itself", t => runChild(t, "kill"));

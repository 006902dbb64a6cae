import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { compileDeviceScript } from "../../devs-host/compile.js";
import { type BoardOptions, SimulatedBoard } from "../../devs-host/device.js";
import { createNetConnector, type SocketConnector, type SocketTarget } from "../../devs-host/socket.js";
import { waitForLog } from "../../devs-host/wait.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));
const DEADLINE_MS = 15_000;

let program: Promise<Uint8Array> | undefined;
const socketProbe = () =>
  (program ??= compileDeviceScript({ projectDir: PROBE_DIR, entry: "socket.ts" }).then(r => r.bytecode));

async function startBoard(
  t: ExecutionContext,
  options: Omit<BoardOptions, "program">,
): Promise<SimulatedBoard> {
  const board = new SimulatedBoard({ ...options, program: await socketProbe() });
  t.teardown(() => board.stop());
  await board.start();
  return board;
}

/** One accepted connection, everything it received, and how it ended. */
interface Peer {
  socket: net.Socket;
  received: () => string;
  /** Resolves when the connection is closed; `ended`: the board sent FIN first. */
  closed: Promise<{ ended: boolean; hadError: boolean }>;
}

function track(socket: net.Socket): Peer {
  let received = "";
  let ended = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("end", () => (ended = true));
  socket.on("error", () => undefined); // a reset shows up as hadError below
  const closed = new Promise<{ ended: boolean; hadError: boolean }>(resolve =>
    socket.on("close", hadError => resolve({ ended, hadError })),
  );
  return { socket, received: () => received, closed };
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Timed out after ${DEADLINE_MS} ms waiting for ${what}.`)),
      DEADLINE_MS,
    );
    promise.then(
      value => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

async function listen(
  t: ExecutionContext,
  server: net.Server,
): Promise<{ port: number; nextPeer: () => Promise<Peer> }> {
  const waiting: Array<(peer: Peer) => void> = [];
  const early: Peer[] = [];
  server.on(server instanceof tls.Server ? "secureConnection" : "connection", (socket: net.Socket) => {
    const peer = track(socket);
    t.teardown(() => void socket.destroy());
    const taker = waiting.shift();
    if (taker) taker(peer);
    else early.push(peer);
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  const nextPeer = () =>
    withDeadline(
      new Promise<Peer>(resolve => {
        const peer = early.shift();
        if (peer) resolve(peer);
        else waiting.push(resolve);
      }),
      "a connection from the board",
    );
  return { port, nextPeer };
}

async function until(peer: Peer, text: string): Promise<void> {
  await withDeadline(
    new Promise<void>(resolve => {
      const check = () => {
        if (!peer.received().includes(text)) return;
        peer.socket.off("data", check);
        resolve();
      };
      peer.socket.on("data", check);
      check();
    }),
    JSON.stringify(text),
  );
}

test("(d) the firmware's TCP socket reaches a local server through the default connector", async t => {
  const { port, nextPeer } = await listen(t, net.createServer());
  const board = await startBoard(t, { deviceId: "tcp-d", settings: { port, name: "dee" } });
  const peer = await nextPeer();
  await until(peer, "hello dee\n");
  const welcome = waitForLog(board, /^socket got welcome$/, DEADLINE_MS);
  peer.socket.write("welcome\n");
  await welcome;
  const bye = waitForLog(board, /^socket got bye$/, DEADLINE_MS);
  peer.socket.write("bye\n");
  await bye;
  await until(peer, "bye dee\n");
  const closedLog = waitForLog(board, /^socket closed$/, DEADLINE_MS);
  peer.socket.end();
  await closedLog;
  t.is(peer.received(), "hello dee\nbye dee\n");
});

test("(e) kill() drops the connection with nothing more written", async t => {
  const { port, nextPeer } = await listen(t, net.createServer());
  const board = await startBoard(t, { deviceId: "tcp-e", settings: { port, name: "eve" } });
  const peer = await nextPeer();
  const welcome = waitForLog(board, /^socket got welcome$/, DEADLINE_MS);
  peer.socket.write("welcome\n");
  await welcome;
  await board.kill();
  const how = await withDeadline(peer.closed, "the server to see the connection close");
  t.is(peer.received(), "hello eve\n");
  t.true(how.ended || how.hadError, JSON.stringify(how));
  t.is(board.status, "stopped");
});

test("stop() closes the connection gracefully (FIN) after what was written", async t => {
  const { port, nextPeer } = await listen(t, net.createServer());
  const board = await startBoard(t, { deviceId: "tcp-stop", settings: { port, name: "sam" } });
  const peer = await nextPeer();
  await until(peer, "hello sam\n");
  await board.stop();
  const how = await withDeadline(peer.closed, "the server to see the connection close");
  t.deepEqual(how, { ended: true, hadError: false });
  t.is(peer.received(), "hello sam\n");
});

test("a refused connection reaches the firmware as an error", async t => {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  const lines: string[] = [];
  const board = await startBoard(t, {
    deviceId: "tcp-refused",
    settings: { port },
    onLog: line => lines.push(line),
  });
  const line =
    lines.find(l => l.startsWith("socket error")) ?? (await waitForLog(board, /^socket error/, DEADLINE_MS));
  t.is(
    line,
    `socket error socket tcp://127.0.0.1:${port}: tcp://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
});

test("a custom connector sees the target and carries data both ways", async t => {
  const targets: SocketTarget[] = [];
  const written: string[] = [];
  let fail: ((message: string) => void) | undefined;
  const memory: SocketConnector = {
    connect(target, events) {
      targets.push(target);
      setImmediate(() => events.open());
      fail = message => events.error(message);
      return {
        write(chunk) {
          written.push(new TextDecoder().decode(chunk));
          if (written.length === 1) setImmediate(() => events.data(new TextEncoder().encode("welcome\n")));
        },
        end() {},
        destroy() {},
      };
    },
  };
  const lines: string[] = [];
  const board = await startBoard(t, {
    deviceId: "memory",
    settings: { host: "broker.invalid", port: 8883, name: "mem", proto: "tls" },
    socket: memory,
    onLog: line => lines.push(line),
  });
  // The exchange may be over before start() resolves.
  if (!lines.includes("socket got welcome")) await waitForLog(board, /^socket got welcome$/, DEADLINE_MS);
  t.deepEqual(targets, [{ host: "broker.invalid", port: 8883, tls: true }]);
  t.deepEqual(written, ["hello mem\n"]);
  const errorLine = waitForLog(board, /^socket error/, DEADLINE_MS);
  fail!("link cut");
  t.is(await errorLine, "socket error socket tls://broker.invalid:8883: link cut");
});

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

function selfSignedCertificate(t: ExecutionContext): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "fieldlink-tls-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const result = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
}

(hasOpenssl ? test : test.skip)(
  "TLS: a trusted certificate connects; the default connector refuses a self-signed one",
  async t => {
    const { key, cert } = selfSignedCertificate(t);
    const { port, nextPeer } = await listen(t, tls.createServer({ key, cert }));
    const trusted = await startBoard(t, {
      deviceId: "tls-ok",
      settings: { port, name: "tee", proto: "tls" },
      socket: createNetConnector({ tls: { ca: cert } }),
    });
    const peer = await nextPeer();
    await until(peer, "hello tee\n");
    const welcome = waitForLog(trusted, /^socket got welcome$/, DEADLINE_MS);
    peer.socket.write("welcome\n");
    await welcome;

    const lines: string[] = [];
    const strict = await startBoard(t, {
      deviceId: "tls-strict",
      settings: { port, proto: "tls" },
      onLog: l => lines.push(l),
    });
    const line =
      lines.find(l => l.startsWith("socket error")) ??
      (await waitForLog(strict, /^socket error/, DEADLINE_MS));
    t.is(
      line,
      `socket error socket tls://127.0.0.1:${port}: tls://127.0.0.1:${port}: self-signed certificate`,
    );
  },
);

test("open and data delivered in the same turn both reach the program", async t => {
  // Without a VM step between the two events, the net library's connect() fails an
  // assertion ("open" is overwritten by "data" before the program looks).
  const burst: SocketConnector = {
    connect(_target, events) {
      setImmediate(() => {
        events.open();
        events.data(new TextEncoder().encode("welcome\n"));
      });
      return { write() {}, end() {}, destroy() {} };
    },
  };
  const lines: string[] = [];
  const board = await startBoard(t, {
    deviceId: "burst",
    settings: { port: 1 },
    socket: burst,
    onLog: l => lines.push(l),
  });
  if (!lines.includes("socket got welcome")) await waitForLog(board, /^socket got welcome$/, DEADLINE_MS);
  t.false(
    lines.some(l => l.startsWith("socket error")),
    lines.join("\n"),
  );
});

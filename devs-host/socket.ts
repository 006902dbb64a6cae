/**
 * The seam between a simulated board's TCP/TLS socket and the network.
 *
 * The DeviceScript VM has one socket at a time (`@devicescript/net` `connect()`); the
 * board asks a `SocketConnector` for it. The default connector opens a real TCP or TLS
 * connection exactly as the CLI's own VM host does; a simulator can pass its own
 * connector to cut, delay or black-hole the link.
 *
 * Contract for a connector:
 * - `connect()` returns at once; the outcome arrives later through `events`:
 *   `open()` once, then any number of `data()`, then at most one of `error()` or
 *   `close()`. Nothing is reported after `error()`/`close()`, nor after the board
 *   itself called `end()` or `destroy()`.
 * - Events must never be delivered synchronously from inside `connect()`, `write()`,
 *   `end()` or `destroy()` (the VM may be mid-step when it calls them).
 */
import net from "node:net";
import tls from "node:tls";

export interface SocketTarget {
  host: string;
  port: number;
  /** true for `proto: "tls"` in the firmware (the VM passes a negative port). */
  tls: boolean;
}

export interface SocketEvents {
  open(): void;
  data(chunk: Uint8Array): void;
  /** The connection failed or broke; `message` is shown to the firmware as the error. */
  error(message: string): void;
  /** The peer closed the connection. */
  close(): void;
}

export interface BoardSocket {
  write(chunk: Uint8Array): void;
  /** Graceful close: flush what was written, send FIN, then release the handle. */
  end(): void;
  /** Abrupt close: drop unsent data and release the handle now; nothing more is written. */
  destroy(): void;
}

export interface SocketConnector {
  connect(target: SocketTarget, events: SocketEvents): BoardSocket;
}

export interface NetConnectorOptions {
  /** Extra TLS options (for example `ca` for a test broker's certificate). */
  tls?: tls.ConnectionOptions;
}

/** `tcp://host:port` or `tls://host:port`, as the VM names a socket in its errors. */
export function socketName(target: SocketTarget): string {
  return `${target.tls ? "tls" : "tcp"}://${target.host}:${target.port}`;
}

/** Real TCP/TLS through `node:net` / `node:tls`, as the CLI's VM host does it. */
export function createNetConnector(options: NetConnectorOptions = {}): SocketConnector {
  return {
    connect(target, events) {
      const sock = target.tls
        ? tls.connect({ ...options.tls, host: target.host, port: target.port })
        : net.createConnection({ host: target.host, port: target.port });
      let live = true;
      const finish = () => {
        live = false;
      };
      sock.once(target.tls ? "secureConnect" : "connect", () => {
        if (live) events.open();
      });
      sock.on("data", (chunk: Buffer) => {
        if (live) events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      sock.on("error", err => {
        if (!live) return;
        finish();
        events.error(`${socketName(target)}: ${err.message}`);
      });
      sock.on("close", () => {
        if (!live) return;
        finish();
        events.close();
      });
      return {
        write(chunk) {
          if (!sock.destroyed) sock.write(chunk);
        },
        end() {
          finish();
          if (sock.destroyed) return;
          // end() alone keeps the handle until the peer closes its side too.
          sock.end(() => sock.destroy());
        },
        destroy() {
          finish();
          sock.destroy();
        },
      };
    },
  };
}

/** The default connector: real sockets, default TLS settings. */
export const netConnector: SocketConnector = createNetConnector();

/**
 * Simulated actuators and inputs on a board's bus, for the roles a program uses besides
 * its sensors: a relay (`ds.Relay`, its state observable) and a button (`ds.Button`,
 * pressed on a schedule).
 */
import { ButtonServer, CHANGE, JDServiceServer, SRV_BUTTON, SRV_RELAY } from "./jacdac.js";

/** Register `active` of the Relay service (jacdac spec: rw u8). */
const RELAY_ACTIVE = 0x01;

export const ACTUATOR_KINDS = { relay: SRV_RELAY, button: SRV_BUTTON } as const;
export type ActuatorKind = keyof typeof ACTUATOR_KINDS;

export interface ActuatorSpec {
  kind: ActuatorKind;
  /** relay: called with 1 (on) or 0 (off) each time the program writes its state. */
  onChange?: (value: number) => void;
  /** button: receives the function that presses it for `ms` milliseconds. */
  bindPress?: (press: (ms: number) => void) => void;
}

export function createActuator(spec: ActuatorSpec): JDServiceServer {
  if (spec.kind === "relay") {
    const server = new JDServiceServer(SRV_RELAY);
    const active = server.addRegister<[boolean]>(RELAY_ACTIVE, [false]);
    let last = 0;
    active.on(CHANGE, () => {
      const value = active.values()[0] ? 1 : 0;
      if (value === last) return;
      last = value;
      spec.onChange?.(value);
    });
    return server;
  }
  if (spec.kind === "button") {
    const server = new ButtonServer();
    // The server sends its down/up events from its refresh handler, which this host's
    // bus does not run on a timer: run it at each edge.
    const refresh = () => (server as unknown as { handleRefresh(): Promise<void> }).handleRefresh();
    spec.bindPress?.(ms => {
      void server.down().then(refresh);
      setTimeout(() => void server.up().then(refresh), ms).unref();
    });
    return server;
  }
  throw new RangeError(
    `Unknown actuator kind "${String(spec.kind)}": expected one of ${Object.keys(ACTUATOR_KINDS).join(", ")}.`,
  );
}

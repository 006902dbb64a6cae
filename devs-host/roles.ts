/**
 * Which simulated servers a program needs: the service classes its roles use, as the
 * compiler lists them (the `specs` of `.devicescript/bin/bytecode-dbg.json`). Pure.
 *
 * A role nobody serves would leave the program waiting forever for it to bind; so a
 * service the simulator cannot serve is an error named before the board starts.
 */
import { type ActuatorKind, ACTUATOR_KINDS } from "./actuators.js";
import { type SensorKind, SENSOR_KINDS } from "./sensors.js";

export interface ProgramService {
  /** As the Jacdac specification names it, e.g. "Soil moisture". */
  name: string;
  classIdentifier: number;
}

export interface ServedRoles {
  sensors: SensorKind[];
  actuators: ActuatorKind[];
}

/**
 * Services every program may list that need no simulated server: base classes, and those
 * the DeviceScript runtime itself provides (settings, WiFi, its own control service).
 */
const RUNTIME_SERVICES = new Set(
  [
    "Base service",
    "Sensor",
    "Settings",
    "WIFI",
    "Control",
    "DeviceScript Manager",
    "Logger",
    "Real time clock",
    "Cloud Adapter",
    "TCP",
    "Roles",
  ].map(n => n.toLowerCase()),
);

export class UnservedRoleError extends Error {}

/** The sensors and actuators a program needs; throws UnservedRoleError naming any other service. */
export function servedRoles(services: readonly ProgramService[]): ServedRoles {
  const sensors: SensorKind[] = [];
  const actuators: ActuatorKind[] = [];
  const unserved: string[] = [];
  for (const service of services) {
    const sensor = (Object.keys(SENSOR_KINDS) as SensorKind[]).find(
      k => SENSOR_KINDS[k] === service.classIdentifier,
    );
    const actuator = (Object.keys(ACTUATOR_KINDS) as ActuatorKind[]).find(
      k => ACTUATOR_KINDS[k] === service.classIdentifier,
    );
    if (sensor) sensors.push(sensor);
    else if (actuator) actuators.push(actuator);
    else if (!RUNTIME_SERVICES.has(service.name.toLowerCase()))
      unserved.push(`${service.name} (0x${service.classIdentifier.toString(16)})`);
  }
  if (unserved.length > 0) {
    throw new UnservedRoleError(
      `the program uses ${unserved.length === 1 ? "a role" : "roles"} the simulator cannot serve: ${unserved.join(", ")}; ` +
        `it serves ${[...Object.keys(SENSOR_KINDS), ...Object.keys(ACTUATOR_KINDS)].join(", ")}. ` +
        "Remove the role, or test that part on a board.",
    );
  }
  return { sensors, actuators };
}

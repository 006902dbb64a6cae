/**
 * Simulated sensors: jacdac-ts sensor servers on a board's bus, read by the firmware
 * through DeviceScript roles (`new ds.Temperature()`, `await t.reading.read()`).
 *
 * The reading is pulled from `SensorSpec.read()` every time the register is sent
 * (answer to a get, or a streamed sample), so a scenario changes a value by changing
 * what `read()` returns.
 */
import {
  addServiceProvider,
  type JDBus,
  type JDServerServiceProvider,
  REGISTER_PRE_GET,
  SensorServer,
  SRV_AIR_PRESSURE,
  SRV_HUMIDITY,
  SRV_ILLUMINANCE,
  SRV_LIGHT_LEVEL,
  SRV_SOIL_MOISTURE,
  SRV_TEMPERATURE,
  type JDServiceServer,
} from "./jacdac.js";
import { type ActuatorSpec, createActuator } from "./actuators.js";
import { deviceIdBytes, reportFrame } from "./jd-frame.js";
import { type ReadingRegister, ReadingShortcut } from "./reading-shortcut.js";

/** Sensor kinds, with the unit `read()` returns and the DeviceScript role that reads it. */
export const SENSOR_KINDS = {
  /** °C, `ds.Temperature` */
  temperature: SRV_TEMPERATURE,
  /** %RH, `ds.Humidity` */
  humidity: SRV_HUMIDITY,
  /** hPa, `ds.AirPressure` */
  airPressure: SRV_AIR_PRESSURE,
  /** lux, `ds.Illuminance` */
  illuminance: SRV_ILLUMINANCE,
  /** ratio 0..1, `ds.SoilMoisture` */
  soilMoisture: SRV_SOIL_MOISTURE,
  /** ratio 0..1, `ds.LightLevel` (an analog light sensor) */
  lightLevel: SRV_LIGHT_LEVEL,
} as const;

export type SensorKind = keyof typeof SENSOR_KINDS;

export interface SensorSpec {
  kind: SensorKind;
  /** Current value in the kind's unit; called each time the firmware gets a sample. */
  read: () => number;
}

/** Name of the simulated Jacdac device that hosts a board's sensors. */
export const SENSOR_DEVICE_NAME = "fieldlink-sensors";

/** Smallest and largest value a register pack format (`i22.10`, `u0.16`, `u16`) can carry. Pure. */
export function packFormatRange(format: string): [number, number] {
  const m = /^([iu])(\d+)(?:\.(\d+))?$/.exec(format);
  if (!m) throw new RangeError(`Unsupported reading format "${format}": expected iN.M or uN.M.`);
  const signed = m[1] === "i";
  const intBits = Number(m[2]);
  const fracBits = Number(m[3] ?? 0);
  const total = intBits + fracBits;
  const scale = 2 ** fracBits;
  const max = (signed ? 2 ** (total - 1) - 1 : 2 ** total - 1) / scale;
  const min = signed ? -(2 ** (total - 1)) / scale : 0;
  return [min, max];
}

export interface SensorErrorSink {
  (message: string): void;
}

function createServer(spec: SensorSpec, onError: SensorErrorSink): SensorServer<[number]> {
  const serviceClass = SENSOR_KINDS[spec.kind];
  if (serviceClass === undefined) {
    throw new RangeError(
      `Unknown sensor kind "${spec.kind}": expected one of ${Object.keys(SENSOR_KINDS).join(", ")}.`,
    );
  }
  const server = new SensorServer<[number]>(serviceClass, { readingValues: [0] });
  const [min, max] = packFormatRange(server.reading.packFormat);
  const update = () => {
    let value: number;
    try {
      value = spec.read();
    } catch (error) {
      onError(
        `Sensor ${spec.kind}: read() threw "${(error as Error).message}"; the last value is sent again.`,
      );
      return;
    }
    if (!Number.isFinite(value)) {
      onError(`Sensor ${spec.kind}: read() returned ${value}; the last value is sent again.`);
      return;
    }
    if (value < min || value > max) {
      onError(`Sensor ${spec.kind}: read() returned ${value}, outside ${min}..${max}; it is sent clamped.`);
      value = Math.min(max, Math.max(min, value));
    }
    server.reading.setValues([value], true);
  };
  update();
  server.reading.on(REGISTER_PRE_GET, update);
  return server;
}

/** Adds one simulated device carrying one sensor server per spec, in order, then the actuators. */
export function addSensors(
  bus: JDBus,
  specs: readonly SensorSpec[],
  onError: SensorErrorSink,
  actuators: readonly ActuatorSpec[] = [],
): JDServerServiceProvider | undefined {
  if (specs.length === 0 && actuators.length === 0) return undefined;
  const servers: JDServiceServer[] = [
    ...specs.map(spec => createServer(spec, onError)),
    ...actuators.map(createActuator),
  ];
  // Without a `factory` in the definition, jacdac-ts makes a JDServerServiceProvider.
  return addServiceProvider(bus, {
    name: SENSOR_DEVICE_NAME,
    serviceClasses: servers.map(server => server.serviceClass),
    services: () => servers,
  }) as JDServerServiceProvider;
}

/**
 * The shortcut that answers the program's reading gets for `provider`'s sensors (the
 * device `addSensors` made) without the bus's send path: ./reading-shortcut.
 */
export function sensorReadingShortcut(provider: JDServerServiceProvider): ReadingShortcut {
  const readings = new Map<number, ReadingRegister>();
  for (const server of provider.services()) {
    // A register with error injection answers with noise added: left to the bus.
    if (server instanceof SensorServer && !server.reading.errorRegister)
      readings.set(server.serviceIndex, server.reading);
  }
  // jacdac-ts's server device counts the packets it sends between announces and puts the
  // count in its next announce; its send path is bypassed here, so count them here.
  const counted = provider as unknown as { _packetCount: number };
  return new ReadingShortcut({
    deviceId: provider.deviceId,
    readings,
    onSent: () => counted._packetCount++,
  });
}

/** Control service announce flags jacdac-ts's server devices set (StatusLightRgbNoFade | SupportsACK). */
const ANNOUNCE_FLAGS = 0x20 | 0x100;
/** Jacdac's restart counter stops at 15: a device restarted since it was first seen. */
const MAX_RESTART_COUNTER = 15;

/**
 * What jacdac-ts's server device does on each of its bus's announce ticks
 * (JDServerServiceProvider.handleSelfAnnounce and ControlServer.announce), as a function
 * that returns the announce frame instead of sending it through the bus: restart counter
 * up (to 15), the announce (flags, packets sent since the last one + 1, service classes),
 * uptime updated, status codes that are set reported, the packet count reset. For a bus
 * whose own ticks are stopped (BoardBus.lean).
 */
export function sensorAnnouncer(provider: JDServerServiceProvider): () => Uint8Array {
  const state = provider as unknown as { _restartCounter: number; _packetCount: number };
  const control = provider.controlService as unknown as {
    startTime: number;
    uptime: { setValues(values: [number], skipChangeEvent: boolean): void };
  };
  const deviceId = deviceIdBytes(provider.deviceId);
  const classes = provider
    .services()
    .slice(1)
    .map(server => server.serviceClass);
  return () => {
    if (state._restartCounter < MAX_RESTART_COUNTER) state._restartCounter++;
    const data = new Uint8Array(4 + 4 * classes.length);
    const view = new DataView(data.buffer);
    view.setUint16(0, state._restartCounter | ANNOUNCE_FLAGS, true);
    data[2] = (state._packetCount + 1) & 0xff;
    classes.forEach((serviceClass, i) => view.setUint32(4 + 4 * i, serviceClass, true));
    control.uptime.setValues([(Date.now() - control.startTime) * 100], true);
    for (const server of provider.services()) {
      if (server.statusCode.data.some(byte => byte !== 0)) void server.statusCode.sendGetAsync();
    }
    state._packetCount = 0;
    return reportFrame(deviceId, 0, 0, data);
  };
}

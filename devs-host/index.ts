/** The DeviceScript VM host: simulated boards running compiled firmware in-process. */
export { SimulatedBoard, type BoardOptions, type BoardState } from "./device";
export { compileDeviceScript, type CompileOptions, type CompileResult } from "./compile";
export { type SensorKind, type SensorSpec, SENSOR_KINDS } from "./sensors";
export { type BoardSettings, type SettingValue, MAX_SETTING_KEY_LENGTH } from "./settings";
export {
  createNetConnector,
  netConnector,
  type BoardSocket,
  type SocketConnector,
  type SocketEvents,
  type SocketTarget,
} from "./socket";
export { type DmesgKind, type DmesgLine, MAX_LOG_LINE_BYTES, parseDmesg } from "./log";
export { PINNED_CLI_VERSION, VmBundleError } from "./bundle";
export { type LogMatcher, waitForLog } from "./wait";

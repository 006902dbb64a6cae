/** The DeviceScript VM host: simulated boards running compiled firmware in-process. */
export { SimulatedBoard, type BoardOptions, type BoardState } from "./device.js";
export { compileDeviceScript, type CompileOptions, type CompileResult } from "./compile.js";
export { type SensorKind, type SensorSpec, SENSOR_KINDS } from "./sensors.js";
export { type ActuatorKind, type ActuatorSpec, ACTUATOR_KINDS } from "./actuators.js";
export { type ProgramService, servedRoles, type ServedRoles, UnservedRoleError } from "./roles.js";
export { type BoardSettings, type SettingValue, MAX_SETTING_KEY_LENGTH } from "./settings.js";
export {
  createNetConnector,
  netConnector,
  type BoardSocket,
  type SocketConnector,
  type SocketEvents,
  type SocketTarget,
} from "./socket.js";
export { type DmesgKind, type DmesgLine, MAX_LOG_LINE_BYTES, parseDmesg } from "./log.js";
export { PINNED_CLI_VERSION, VmBundleError } from "./bundle.js";
export { type LogMatcher, waitForLog } from "./wait.js";
export { type VmFlash } from "./vm.js";

/** The gateway as a library: what `fieldlink-gateway` and `fieldlink gateway` run. */
export { gatewayCommand, parseSerialFlag } from "./command.js"
export { Gateway } from "./gateway.js"
export { configFromObject, loadConfigFile } from "./config/load.js"
export type { GatewayConfig } from "./config/types.js"

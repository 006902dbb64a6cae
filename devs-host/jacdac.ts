/**
 * jacdac-ts, typed. Its package.json "exports" names no "types", so TypeScript's
 * Bundler resolution finds no declarations for "jacdac-ts"; they are taken from the
 * declaration files the package ships instead. Everything in sim/vm imports jacdac-ts
 * through here.
 */
// @ts-expect-error -- jacdac-ts ships its declarations outside its "exports" map (see above).
import * as runtime from "jacdac-ts";
import type * as Types from "../../node_modules/jacdac-ts/dist/types/src/jacdac";

const jd = runtime as typeof Types;

export type JDDevice = Types.JDDevice;
export type JDService = Types.JDService;
export type JDServiceProvider = Types.JDServiceProvider;
export type Scheduler = Types.Scheduler;

export type JDBus = Types.JDBus;
export const JDBus = jd.JDBus;
export type SensorServer<T extends Types.PackedValues> = Types.SensorServer<T>;
export const SensorServer = jd.SensorServer;
export type SettingsClient = Types.SettingsClient;
export const SettingsClient = jd.SettingsClient;

export const {
  addServiceProvider,
  createProxyBridge,
  DEVICE_ANNOUNCE,
  DeviceScriptManagerReg,
  REGISTER_PRE_GET,
  SELF_ANNOUNCE,
  SRV_AIR_PRESSURE,
  SRV_DEVICE_SCRIPT_MANAGER,
  SRV_HUMIDITY,
  SRV_ILLUMINANCE,
  SRV_SETTINGS,
  SRV_SOIL_MOISTURE,
  SRV_TEMPERATURE,
} = jd;

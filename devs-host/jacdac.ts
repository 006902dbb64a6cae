/**
 * jacdac-ts, typed. Its package.json "exports" names no "types", so TypeScript finds no
 * declarations for "jacdac-ts"; the declarations the package ships (its "typings" file)
 * are declared as the type-only module "jacdac-ts-types" in tsconfig.base.json's
 * "paths". (Type-only: erased from the JavaScript, so no runtime resolver ever sees it.)
 * Everything that uses jacdac-ts imports it through here.
 */
// @ts-expect-error -- jacdac-ts ships its declarations outside its "exports" map (see above).
import * as runtime from "jacdac-ts";
import type * as Types from "jacdac-ts-types";

const jd = runtime as typeof Types;

export type JDDevice = Types.JDDevice;
export type JDService = Types.JDService;
export type JDServiceProvider = Types.JDServiceProvider;
export type JDServerServiceProvider = Types.JDServerServiceProvider;
export type Scheduler = Types.Scheduler;

export type JDBus = Types.JDBus;
export const JDBus = jd.JDBus;
export type SensorServer<T extends Types.PackedValues> = Types.SensorServer<T>;
export const SensorServer = jd.SensorServer;
export type SettingsClient = Types.SettingsClient;
export const SettingsClient = jd.SettingsClient;
export type JDServiceServer = Types.JDServiceServer;
export const JDServiceServer = jd.JDServiceServer;
export type ButtonServer = Types.ButtonServer;
export const ButtonServer = jd.ButtonServer;

export const {
  addServiceProvider,
  createProxyBridge,
  DEVICE_ANNOUNCE,
  DeviceScriptManagerReg,
  jdpack,
  jdunpack,
  Packet,
  REGISTER_PRE_GET,
  REPORT_RECEIVE,
  SELF_ANNOUNCE,
  SRV_AIR_PRESSURE,
  SRV_BUTTON,
  SRV_RELAY,
  CHANGE,
  crc,
  SRV_DEVICE_SCRIPT_MANAGER,
  SRV_HUMIDITY,
  SRV_ILLUMINANCE,
  SRV_LIGHT_LEVEL,
  SRV_SETTINGS,
  SRV_SOIL_MOISTURE,
  SRV_TEMPERATURE,
} = jd;

/**
 * The firmware to compile: the user's own DeviceScript project (found from the current
 * folder upward, like `devs` does), or, outside any project, fieldlink's stock firmware.
 * Either way the same bytecode a board runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileDeviceScript, type CompileResult } from "./index.js";
import { buildableProject } from "./stock-copy.js";

export { buildableProject };

/** The library package a project's program is built on (firmware/ in this repository). */
export const FIRMWARE_LIBRARY = "fieldlink-firmware";

/**
 * The stock firmware's DeviceScript project: the nearest `firmware/` folder with a
 * `devsconfig.json` above this module. That is the checkout's `firmware/` (from the
 * sources or from `dist/`), or the copy an installed `fieldlink` package carries.
 */
function findFirmwareDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "firmware");
    if (existsSync(join(candidate, "devsconfig.json"))) return candidate + "/";
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        "cannot find the firmware sources (a firmware/ folder with devsconfig.json) above " +
          fileURLToPath(import.meta.url),
      );
    dir = parent;
  }
}

export const FIRMWARE_DIR = findFirmwareDir();
export const FIRMWARE_ENTRY = "src/main.ts";
/**
 * Shared code outside the DeviceScript project that the firmware compiles in (for the
 * cache key): the sources of @fieldlink/protocol, a DeviceScript library.
 */
export const SHARED_SOURCES = [
  dirname(createRequire(import.meta.url).resolve("@fieldlink/protocol/package.json")),
];

export interface FirmwareProject {
  /** The folder holding devsconfig.json, with a trailing slash. */
  dir: string;
  /** The program, relative to `dir`. */
  entry: string;
  /** true: fieldlink's own firmware, not a user's project. */
  stock: boolean;
  /** Folders outside `dir` whose sources the program compiles in (for the cache key). */
  extraInputs: string[];
  /** How a generated board entry inside `dir` imports the library's `useBoard`. */
  libraryImport: string;
  /** The board the project names (package.json `"fieldlink": { "board": … }`): the default of --board. */
  board?: string;
}

export const STOCK_PROJECT: FirmwareProject = {
  dir: FIRMWARE_DIR,
  entry: FIRMWARE_ENTRY,
  stock: true,
  extraInputs: SHARED_SOURCES,
  libraryImport: "../../src/board/profile",
};

/** package.json `"fieldlink": { "board": "<id or profile file>" }`, if the project names one. */
function projectBoard(dir: string): string | undefined {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  let pkg: { fieldlink?: { board?: unknown } };
  try {
    pkg = JSON.parse(readFileSync(file, "utf8")) as typeof pkg;
  } catch (error) {
    throw new Error(
      `${file}: not valid JSON (${(error as Error).message}); fix it, it is your project's package.json`,
    );
  }
  const board = pkg.fieldlink?.board;
  if (board === undefined) return undefined;
  if (typeof board !== "string" || board === "")
    throw new Error(
      `${file}: "fieldlink": { "board": ${JSON.stringify(board)} } should name a board id (see fieldlink boards) or a profile file`,
    );
  // A profile file is named relative to the project.
  return /\.ya?ml$/.test(board) ? resolve(dir, board) : board;
}

/** A user's project in `dir`: its program and the installed library (with the protocol it bundles). */
function userProject(dir: string): FirmwareProject {
  const library = join(dir, "node_modules", FIRMWARE_LIBRARY);
  const extraInputs = [
    library,
    join(library, "node_modules", "@fieldlink", "protocol"),
    join(dir, "node_modules", "@fieldlink", "protocol"),
  ].filter(p => existsSync(p));
  return {
    dir: dir + "/",
    entry: FIRMWARE_ENTRY,
    stock: false,
    extraInputs,
    libraryImport: FIRMWARE_LIBRARY,
    board: projectBoard(dir),
  };
}

/**
 * The project of `from` (default: the current folder): the nearest folder at or above it
 * holding a devsconfig.json, as `devs` finds it; the stock firmware when there is none.
 */
export function findProject(from: string = process.cwd()): FirmwareProject {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "devsconfig.json"))) {
      return resolve(dir) + "/" === resolve(FIRMWARE_DIR) + "/" ? STOCK_PROJECT : userProject(dir);
    }
    const parent = dirname(dir);
    if (parent === dir) return STOCK_PROJECT;
    dir = parent;
  }
}

/** Compiles a project's src/main.ts, the stock firmware's by default (cached by the hash of every source). */
export async function buildFirmware(
  options: { cache?: boolean; project?: FirmwareProject } = {},
): Promise<CompileResult> {
  const project = await buildableProject(options.project ?? STOCK_PROJECT);
  return compileDeviceScript({
    projectDir: project.dir,
    entry: project.entry,
    extraInputs: project.extraInputs,
    cache: options.cache ?? true,
  });
}

/**
 * Compiles a DeviceScript entry file to bytecode with the pinned CLI (`devs build`).
 *
 * The CLI builds in its working directory, the DeviceScript project (the folder holding
 * `devsconfig.json`): it unpacks the `@devicescript/*` libraries into the project's
 * `node_modules/` and writes `.devicescript/bin/bytecode.devs`. Because that output
 * path is shared, builds of one project are serialised, across processes too, with a
 * lock file. Results are cached under `.devicescript/fieldlink-cache/`, keyed by the
 * hash of the CLI version, the entry and every source file of the project; the
 * `CACHE_KEEP` most recently used entries stay (cache-prune.ts).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { takeLockFile } from "@fieldlink/lib/process/lock-file";
import { locateCli } from "./bundle.js";
import { pruneCache, touchEntry } from "./cache-prune.js";
import type { ProgramService } from "./roles.js";

export interface CompileOptions {
  /** The DeviceScript project folder (holds `devsconfig.json`). */
  projectDir: string;
  /** Entry file, absolute or relative to `projectDir`. */
  entry: string;
  /** Folders outside the project whose `.ts`/`.json` files the firmware imports (for the cache key). */
  extraInputs?: readonly string[];
  /** false: always run the compiler. Default true. */
  cache?: boolean;
  /** Deadline for one compiler run (ms). Default 120 000. */
  timeoutMs?: number;
}

export interface CompileResult {
  bytecode: Uint8Array;
  /** true when the bytecode came from the cache. */
  cached: boolean;
  /** The cache key (sha256 hex). */
  key: string;
  /** The service classes the program's roles use (the compiler's debug information). */
  services: ProgramService[];
}

const GEN_DIR = ".devicescript";
const BYTECODE = join(GEN_DIR, "bin", "bytecode.devs");
const DEBUG_INFO = join(GEN_DIR, "bin", "bytecode-dbg.json");
const CACHE_DIR = join(GEN_DIR, "fieldlink-cache");
const LOCK_FILE = join(GEN_DIR, "fieldlink-build.lock");
/** Compile results kept: every edit of the firmware makes one (~30 KB each). */
export const CACHE_KEEP = 32;
// dist: a shared package's compiled output is not what DeviceScript compiles.
const SKIP_DIRS = new Set(["node_modules", GEN_DIR, ".git", "dist"]);

/** The files DeviceScript may compile under `dir` (sources, JSON, .env files), generated folders left out. */
export async function listSources(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) await listSources(path, into);
    } else if (/\.(ts|json)$/.test(entry.name) || entry.name.startsWith(".env")) {
      into.push(path);
    }
  }
}

/** sha256 over the CLI version, the entry and the content of every input file. */
export async function cacheKey(
  projectDir: string,
  entry: string,
  extraInputs: readonly string[],
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`devs ${locateCli().version}\nentry ${entry}\n`);
  for (const root of [projectDir, ...extraInputs]) {
    const files: string[] = [];
    await listSources(root, files);
    files.sort();
    for (const file of files) {
      hash.update(`file ${relative(projectDir, file).split(sep).join("/")}\n`);
      hash.update(await readFile(file));
      hash.update("\n");
    }
  }
  return hash.digest("hex");
}

/** `devs build <entry> [extraArgs]` with the pinned CLI, in `projectDir`; rejects with the compiler's output. */
export function runDevsBuild(
  projectDir: string,
  entry: string,
  timeoutMs: number,
  extraArgs: readonly string[] = [],
): Promise<void> {
  const { bundle } = locateCli();
  // Run the pinned bundle itself, not whatever `devs` a parent folder might hold.
  const args = ["-e", "require(process.argv[1]).mainCli()", bundle, "build", entry, ...extraArgs];
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: projectDir,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, NO_UPDATE_NOTIFIER: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
      },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise();
        // eslint-disable-next-line no-control-regex
        const output = `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, "").trim();
        reject(
          new Error(
            `devs build ${entry} failed in ${projectDir} (${error.message.split("\n")[0]}):\n${output}`,
          ),
        );
      },
    );
  });
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, data);
  await rename(partial, path);
}

/** Exclusive lock on the project's build output; a lock left by a dead process is taken over. */
export async function withBuildLock<T>(
  projectDir: string,
  deadlineMs: number,
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(join(projectDir, GEN_DIR), { recursive: true });
  const release = await takeLockFile(join(projectDir, LOCK_FILE), { deadlineMs });
  try {
    return await work();
  } finally {
    await release();
  }
}

/** The `specs` of the compiler's debug information: the services the program uses. */
async function readServices(projectDir: string): Promise<ProgramService[]> {
  const dbg = JSON.parse(await readFile(join(projectDir, DEBUG_INFO), "utf8")) as {
    specs?: { name?: unknown; classIdentifier?: unknown }[];
  };
  return (dbg.specs ?? []).map(s => ({ name: String(s.name), classIdentifier: Number(s.classIdentifier) }));
}

async function readCached(cachePath: string, key: string): Promise<CompileResult> {
  await touchEntry(cachePath);
  const services = JSON.parse(await readFile(`${cachePath}.services.json`, "utf8")) as ProgramService[];
  return { bytecode: new Uint8Array(await readFile(cachePath)), cached: true, key, services };
}

export async function compileDeviceScript(options: CompileOptions): Promise<CompileResult> {
  const projectDir = resolve(options.projectDir);
  if (!existsSync(join(projectDir, "devsconfig.json"))) {
    throw new Error(`${projectDir} is not a DeviceScript project: it has no devsconfig.json.`);
  }
  const entryPath = resolve(projectDir, options.entry);
  if (!existsSync(entryPath)) throw new Error(`The entry file ${entryPath} does not exist.`);
  const entry = relative(projectDir, entryPath).split(sep).join("/");
  const timeoutMs = options.timeoutMs ?? 120_000;
  const useCache = options.cache ?? true;
  const key = await cacheKey(
    projectDir,
    entry,
    (options.extraInputs ?? []).map(dir => resolve(dir)),
  );
  const cachePath = join(projectDir, CACHE_DIR, `${key}.devs`);

  if (useCache && existsSync(cachePath) && existsSync(`${cachePath}.services.json`))
    return readCached(cachePath, key);
  return withBuildLock(projectDir, timeoutMs * 2, async () => {
    // Another process may have built it while this one waited for the lock.
    if (useCache && existsSync(cachePath) && existsSync(`${cachePath}.services.json`))
      return readCached(cachePath, key);
    const output = join(projectDir, BYTECODE);
    await rm(output, { force: true });
    await runDevsBuild(projectDir, entry, timeoutMs);
    const bytecode = new Uint8Array(await readFile(output));
    const services = await readServices(projectDir);
    await mkdir(join(projectDir, CACHE_DIR), { recursive: true });
    // The services first: a cache entry counts only once its bytecode is there too.
    await writeAtomically(`${cachePath}.services.json`, JSON.stringify(services));
    await writeAtomically(cachePath, bytecode);
    await pruneCache(join(projectDir, CACHE_DIR), {
      entry: name => name.endsWith(".devs"),
      keep: CACHE_KEEP,
      minAgeMs: 0,
      companions: name => [`${name}.services.json`],
    });
    return { bytecode, cached: false, key, services };
  });
}

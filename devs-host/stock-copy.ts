/**
 * The stock firmware, compiled where the user may write.
 *
 * DeviceScript builds inside the project folder: it writes `.devicescript/` and unpacks
 * its libraries into `node_modules/` there. An installed `fieldlink` whose folder the user
 * cannot write (installed globally as root, run as another user) therefore compiles a
 * copy of its stock project in the user's cache folder: the firmware's sources and the
 * packages' sources they import (the protocol) in the copy's node_modules, as in the install. The copy's folder is named by
 * the digest of what it holds, so an upgrade makes a new one and two processes that make
 * the same one at once make the same bytes. Copies no build used for a day are removed
 * beyond the newest `COPIES_KEPT` (cache-prune.ts), and so are half-made copies that a
 * build which died while copying left behind.
 */
import { createHash } from "node:crypto";
import { constants, existsSync } from "node:fs";
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { pruneCache, touchEntry } from "./cache-prune.js";
import { listSources } from "./compile.js";
import type { FirmwareProject } from "./firmware.js";

/** Copies of the stock firmware kept in the user's cache: one per installed version in use. */
const COPIES_KEPT = 3;
/** A copy used within this time is never removed: another install may be building in it. */
const COPY_MIN_AGE_MS = 24 * 3600_000;
/**
 * A half-made copy (`.firmware-*`) older than this was left by a build that died while
 * copying (a copy takes seconds): removed. A younger one may be another build's, at work.
 */
const PARTIAL_MAX_AGE_MS = 3600_000;

/** Where a package the firmware imports goes in the copy: its node_modules, as in the install. */
async function packageFolder(dir: string): Promise<string> {
  const { name } = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name: string };
  return join("node_modules", name);
}

async function writable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    // A build output left by another user (e.g. root built the checkout once) is not ours either.
    const generated = join(dir, ".devicescript");
    if (existsSync(generated)) await access(generated, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The user's cache folder for fieldlink: $XDG_CACHE_HOME, ~/.cache, else the temp folder. */
async function cacheRoot(): Promise<string> {
  const xdg = process.env.XDG_CACHE_HOME;
  const candidates = [
    ...(xdg && isAbsolute(xdg) ? [xdg] : []),
    join(homedir(), ".cache"),
    // Service users often have no home (nobody's is /nonexistent).
    join(tmpdir(), `fieldlink-cache-${process.getuid?.() ?? "user"}`),
  ];
  for (const candidate of candidates) {
    const dir = join(candidate, "fieldlink");
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
      return dir;
    } catch {
      // the next one
    }
  }
  throw new Error(
    `no folder to compile the firmware in: the install folder is not writable, nor are ${candidates.join(", ")}; set XDG_CACHE_HOME to a folder you may write`,
  );
}

/** Every file to copy: [path in the copy, its content]. */
async function copyPlan(project: FirmwareProject, packages: readonly string[]): Promise<[string, Buffer][]> {
  const plan: [string, Buffer][] = [];
  const add = async (root: string, into: string) => {
    const files: string[] = [];
    await listSources(root, files);
    for (const file of files.sort()) plan.push([join(into, relative(root, file)), await readFile(file)]);
  };
  await add(project.dir, "");
  for (const [i, input] of project.extraInputs.entries()) await add(input, packages[i]!);
  return plan;
}

/**
 * `project` itself when the user may build in it (a user's project, the checkout, an
 * install the user owns); for a stock firmware the user cannot write, its copy in the
 * user's cache folder, made if missing.
 */
export async function buildableProject(project: FirmwareProject): Promise<FirmwareProject> {
  if (!project.stock || (await writable(project.dir))) return project;
  const packages = await Promise.all(project.extraInputs.map(packageFolder));
  const plan = await copyPlan(project, packages);
  const digest = createHash("sha256");
  for (const [path, content] of plan) digest.update(`${path}\n`).update(content).update("\n");
  const root = await cacheRoot();
  const copy = join(root, `firmware-${digest.digest("hex").slice(0, 16)}`);
  if (!existsSync(copy)) {
    // Made aside and renamed into place: a half-made copy is never seen.
    const partial = await mkdtemp(join(root, ".firmware-"));
    for (const [path, content] of plan) {
      await mkdir(dirname(join(partial, path)), { recursive: true });
      await writeFile(join(partial, path), content);
    }
    await rename(partial, copy).catch(async (error: NodeJS.ErrnoException) => {
      await rm(partial, { recursive: true, force: true });
      // Another process made the same copy first.
      if (!existsSync(copy)) throw error;
    });
    await pruneCache(root, {
      entry: name => name.startsWith("firmware-"),
      keep: COPIES_KEPT,
      minAgeMs: COPY_MIN_AGE_MS,
    });
    await pruneCache(root, {
      entry: name => name.startsWith(".firmware-"),
      keep: 0,
      minAgeMs: PARTIAL_MAX_AGE_MS,
    });
  } else await touchEntry(copy);
  return {
    ...project,
    dir: copy + "/",
    extraInputs: packages.map(folder => join(copy, folder)),
  };
}

import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { CACHE_KEEP, cacheKey, compileDeviceScript } from "../../devs-host/compile.js";

const PROBE_DIR = fileURLToPath(new URL("../../firmware/probe/", import.meta.url));

function tempProject(t: ExecutionContext, main: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fieldlink-devs-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "devsconfig.json"), "{}\n");
  writeFileSync(join(dir, "main.ts"), main);
  return dir;
}

test("a probe compiles to bytecode, and the second build comes from the cache", async t => {
  const first = await compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" });
  t.true(first.bytecode.length > 100);
  const second = await compileDeviceScript({ projectDir: PROBE_DIR, entry: "readings.ts" });
  t.true(second.cached);
  t.is(second.key, first.key);
  t.deepEqual(second.bytecode, first.bytecode);
});

test("the cache key follows the sources, not the generated folders", async t => {
  const dir = tempProject(t, 'console.log("a")\n');
  const before = await cacheKey(dir, "main.ts", []);
  t.is(await cacheKey(dir, "main.ts", []), before);
  mkdirSync(join(dir, "node_modules"));
  writeFileSync(join(dir, "node_modules", "x.ts"), "noise");
  mkdirSync(join(dir, ".devicescript"));
  writeFileSync(join(dir, ".devicescript", "y.json"), "{}");
  t.is(await cacheKey(dir, "main.ts", []), before);
  writeFileSync(join(dir, "main.ts"), 'console.log("b")\n');
  t.not(await cacheKey(dir, "main.ts", []), before);
  t.not(await cacheKey(dir, "other.ts", []), await cacheKey(dir, "main.ts", []));
});

test("a compile error comes back with the compiler's diagnostic", async t => {
  const dir = tempProject(t, 'const n: number = "text"\nconsole.log(n)\n');
  const error = await t.throwsAsync(compileDeviceScript({ projectDir: dir, entry: "main.ts", cache: false }));
  t.regex(error!.message, /^devs build main\.ts failed in /);
  t.regex(error!.message, /main\.ts:1:7 - error TS2322: Type 'string' is not assignable to type 'number'/);
});

test("a folder without devsconfig.json or a missing entry is refused", async t => {
  const dir = mkdtempSync(join(tmpdir(), "fieldlink-devs-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.throwsAsync(compileDeviceScript({ projectDir: dir, entry: "main.ts" }), {
    message: `${dir} is not a DeviceScript project: it has no devsconfig.json.`,
  });
  await t.throwsAsync(compileDeviceScript({ projectDir: PROBE_DIR, entry: "missing.ts" }), {
    message: /^The entry file .*missing\.ts does not exist\.$/,
  });
});

test("the compile cache keeps its most recently used entries, not every edit ever built", async t => {
  const dir = tempProject(t, 'console.log("kept")\n');
  const cache = join(dir, ".devicescript", "fieldlink-cache");
  mkdirSync(cache, { recursive: true });
  // Entries left by earlier edits, one a minute older each; the newest of them is used again below.
  const old = Array.from({ length: CACHE_KEEP + 8 }, (_, i) => `old${String(i).padStart(2, "0")}.devs`);
  old.forEach((name, i) => {
    writeFileSync(join(cache, name), "bytecode");
    writeFileSync(join(cache, `${name}.services.json`), "[]");
    const at = new Date(Date.now() - (i + 10) * 60_000);
    utimesSync(join(cache, name), at, at);
  });
  writeFileSync(join(cache, "notes.txt"), "not an entry");
  const built = await compileDeviceScript({ projectDir: dir, entry: "main.ts" });
  const left = readdirSync(cache);
  const entries = left.filter(n => n.endsWith(".devs"));
  t.is(entries.length, CACHE_KEEP);
  t.true(entries.includes(`${built.key}.devs`), "the new entry stays");
  t.deepEqual(
    entries.filter(n => n.startsWith("old")).sort(),
    old.slice(0, CACHE_KEEP - 1),
    "the oldest go, the most recent stay",
  );
  t.is(
    left.filter(n => n.endsWith(".services.json")).length,
    CACHE_KEEP,
    "an entry's services file goes with it",
  );
  t.true(left.includes("notes.txt"), "what is not an entry is left alone");
});

// Cache folders that would otherwise grow with every firmware edit and every upgrade.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { pruneCache, touchEntry } from "../../devs-host/cache-prune.js";

const HOUR = 3600_000;

function folder(t: { teardown(f: () => void): void }, ages: Record<string, number>, now: number): string {
  const dir = mkdtempSync(join(tmpdir(), "fieldlink-prune-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, ageMs] of Object.entries(ages)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "main.ts"), "");
    const at = new Date(now - ageMs);
    utimesSync(join(dir, name), at, at);
  }
  return dir;
}

test("copies beyond the newest are removed once unused long enough; others and non-entries stay", async t => {
  const now = Date.now();
  const dir = folder(
    t,
    {
      "firmware-a": 1 * HOUR,
      "firmware-b": 30 * HOUR,
      "firmware-c": 50 * HOUR,
      "firmware-d": 2 * HOUR,
      other: 99 * HOUR,
    },
    now,
  );
  const removed = await pruneCache(
    dir,
    { entry: n => n.startsWith("firmware-"), keep: 1, minAgeMs: 24 * HOUR },
    now,
  );
  t.deepEqual(removed.sort(), ["firmware-b", "firmware-c"]);
  t.deepEqual(
    readdirSync(dir).sort(),
    ["firmware-a", "firmware-d", "other"],
    "d is not the newest but was used 2 h ago",
  );
});

test("a touched entry counts as just used", async t => {
  const now = Date.now();
  const dir = folder(t, { "firmware-old": 48 * HOUR, "firmware-new": 30 * HOUR }, now);
  await touchEntry(join(dir, "firmware-old"));
  await pruneCache(dir, { entry: n => n.startsWith("firmware-"), keep: 1, minAgeMs: 0 });
  t.deepEqual(readdirSync(dir), ["firmware-old"]);
});

test("a folder that is not there prunes nothing and throws nothing", async t => {
  t.deepEqual(
    await pruneCache(join(tmpdir(), "fieldlink-no-such-folder"), { entry: () => true, keep: 0, minAgeMs: 0 }),
    [],
  );
});

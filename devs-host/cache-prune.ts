/**
 * Keeps a cache folder from growing without end. Every firmware edit makes a new compile
 * cache entry and every upgrade of an install nobody may write makes a new copy of the
 * stock firmware; nothing ever used them again. Entries are ranked by modification time,
 * and a cache hit touches its entry, so what goes is what was used least recently.
 */
import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";

export interface PruneRule {
  /** Which names in the folder are entries (others are never touched). */
  entry: (name: string) => boolean;
  /** Entries kept whatever their age: the most recently used. */
  keep: number;
  /**
   * Entries used more recently than this are kept too: another process (another
   * installed version, a build waiting for its lock) may be using one right now.
   */
  minAgeMs: number;
  /** Files that belong to an entry and go with it (its name → their names). */
  companions?: (name: string) => string[];
}

/** Removes the entries of `dir` beyond `rule`; returns the names removed. Never throws. */
export async function pruneCache(dir: string, rule: PruneRule, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(rule.entry);
  } catch {
    return [];
  }
  const entries = await Promise.all(
    names.map(async name => ({
      name,
      usedAt: await stat(join(dir, name)).then(
        s => s.mtimeMs,
        () => now,
      ),
    })),
  );
  entries.sort((a, b) => b.usedAt - a.usedAt);
  const stale = entries.slice(rule.keep).filter(e => now - e.usedAt > rule.minAgeMs);
  for (const { name } of stale)
    for (const file of [name, ...(rule.companions?.(name) ?? [])])
      await rm(join(dir, file), { recursive: true, force: true }).catch(() => undefined);
  return stale.map(e => e.name);
}

/** Marks a cache entry as just used (best effort: a read-only cache stays as it is). */
export async function touchEntry(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

/** Waiting for a board's firmware to say something, with a deadline. */
import type { SimulatedBoard } from "./device.js";

export type LogMatcher = RegExp | ((line: string) => boolean);

function matches(match: LogMatcher, line: string): boolean {
  return typeof match === "function" ? match(line) : match.test(line);
}

/**
 * Resolves with the first firmware log line (from now on) that matches, or rejects
 * after `timeoutMs`, naming the pattern and the last lines seen.
 */
export function waitForLog(board: SimulatedBoard, match: LogMatcher, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      off();
      const tail =
        seen
          .slice(-5)
          .map(line => `  ${line}`)
          .join("\n") || "  (none)";
      reject(
        new Error(
          `Board ${board.deviceId} printed no line matching ${String(match)} within ${timeoutMs} ms. Last lines:\n${tail}`,
        ),
      );
    }, timeoutMs);
    const off = board.on("log", line => {
      seen.push(line);
      if (!matches(match, line)) return;
      clearTimeout(timer);
      off();
      resolve(line);
    });
  });
}

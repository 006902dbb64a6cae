/**
 * The VM's log ("dmesg") lines, classified. Pure.
 *
 * The runtime marks the lines that come from the program with one character and a
 * space (the same markers the CLI's `printDmesg` colours):
 *
 *   `> ` console.log / console.info     `! ` console.error, unhandled exceptions
 *   `* ` console.warn, runtime notices   `? ` console.debug
 *   `# ` timestamped values (`<ms> <json>`)
 *
 * Every other line is the runtime's own diagnostics ("fstor: mounted", "jdif: autobind").
 */

export type DmesgKind = "log" | "error" | "notice" | "debug" | "value" | "runtime";

export interface DmesgLine {
  kind: DmesgKind;
  /** The text after the marker (or the whole line for `runtime`), ANSI colours removed. */
  text: string;
  /** The line as the VM printed it. */
  raw: string;
  /**
   * The VM cuts a program's log line at `MAX_LOG_LINE_BYTES` bytes of UTF-8 without
   * saying so; a line this close to the limit may have lost its end.
   */
  mayBeTruncated: boolean;
}

/** Longest program log line (UTF-8 bytes after the marker) the VM prints whole. */
export const MAX_LOG_LINE_BYTES = 296;

const MARKERS: Readonly<Record<string, DmesgKind>> = {
  ">": "log",
  "!": "error",
  "*": "notice",
  "?": "debug",
  "#": "value",
};

// CSI sequences (colours, cursor) and the two-byte ESC forms.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

const utf8 = new TextEncoder();

export function parseDmesg(raw: string): DmesgLine {
  const clean = stripAnsi(raw);
  // Same shape as the CLI's printDmesg: optional indentation, marker, one space.
  const m = /^\s*([>!*?#]) (.*)$/s.exec(clean);
  if (!m) return { kind: "runtime", text: clean, raw, mayBeTruncated: false };
  const text = m[2];
  // A multi-byte character that did not fit is dropped whole: allow 3 bytes of slack.
  const mayBeTruncated = utf8.encode(text).length >= MAX_LOG_LINE_BYTES - 3;
  return { kind: MARKERS[m[1]], text, raw, mayBeTruncated };
}

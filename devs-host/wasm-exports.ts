/**
 * Exports a few more of the VM's own functions from its wasm binary, by name, without
 * touching its code: the export section gets extra entries that point at functions the
 * binary already has (found in its "name" section). Nothing the VM runs changes; the host
 * can then call them. Pure.
 *
 * WebAssembly binary format: an 8-byte header, then sections `id:u8 size:u32leb body`.
 * The export section (id 7) is `count:leb (name:str kind:u8 index:leb)*`; the custom
 * section "name" (id 0) holds subsection 1, `count:leb (index:leb name:str)*`.
 */

const EXPORT_SECTION = 7;
const CUSTOM_SECTION = 0;
const FUNCTION_NAMES = 1;
const EXPORT_KIND_FUNCTION = 0;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  u8(): number {
    return this.bytes[this.pos++];
  }
  leb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  str(): string {
    const length = this.leb();
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function str(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

interface Section {
  id: number;
  /** Where the section's header starts and its body starts and ends. */
  start: number;
  body: number;
  end: number;
}

function sections(binary: Uint8Array): Section[] {
  const reader = new Reader(binary, 8);
  const out: Section[] = [];
  while (reader.pos < binary.length) {
    const start = reader.pos;
    const id = reader.u8();
    const size = reader.leb();
    out.push({ id, start, body: reader.pos, end: reader.pos + size });
    reader.pos += size;
  }
  return out;
}

/** Function index by name, from the binary's "name" section. */
export function functionNames(binary: Uint8Array): Map<string, number> {
  const names = new Map<string, number>();
  for (const section of sections(binary).filter(s => s.id === CUSTOM_SECTION)) {
    const reader = new Reader(binary, section.body);
    if (reader.str() !== "name") continue;
    while (reader.pos < section.end) {
      const sub = reader.u8();
      const size = reader.leb();
      const end = reader.pos + size;
      if (sub === FUNCTION_NAMES) {
        const count = reader.leb();
        for (let i = 0; i < count; i++) {
          const index = reader.leb();
          names.set(reader.str(), index);
        }
      }
      reader.pos = end;
    }
  }
  return names;
}

/**
 * The binary with the functions `names` also exported under their own names. Throws,
 * naming it, when a function is not in the binary.
 */
export function withExtraExports(binary: Uint8Array, names: readonly string[]): Uint8Array {
  const indices = functionNames(binary);
  const exportSection = sections(binary).find(s => s.id === EXPORT_SECTION);
  if (!exportSection) throw new Error("The VM's wasm binary has no export section.");
  const reader = new Reader(binary, exportSection.body);
  const count = reader.leb();
  const entries = binary.subarray(reader.pos, exportSection.end);
  const added: number[] = [];
  for (const name of names) {
    const index = indices.get(name);
    if (index === undefined) throw new Error(`The VM's wasm binary has no function named "${name}".`);
    added.push(...str(name), EXPORT_KIND_FUNCTION, ...leb(index));
  }
  const body = [...leb(count + names.length), ...entries, ...added];
  const header = [EXPORT_SECTION, ...leb(body.length)];
  const out = new Uint8Array(
    exportSection.start + header.length + body.length + (binary.length - exportSection.end),
  );
  out.set(binary.subarray(0, exportSection.start), 0);
  out.set(header, exportSection.start);
  out.set(body, exportSection.start + header.length);
  out.set(binary.subarray(exportSection.end), exportSection.start + header.length + body.length);
  return out;
}

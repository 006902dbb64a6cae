/**
 * Telemetry sample payloads (DESIGN §1): one JSON object per sample, `seq` first, then
 * readings whose key names carry their units (`temperature_c`, `humidity_pct`).
 */

/** Serializes one sample. `seq` counts every sample taken, so gaps show what was lost. */
export function sampleJson(seq: number, readings: Record<string, number>, uptimeSeconds: number): string {
    const sample: Record<string, number> = { seq: seq }
    for (const key of Object.keys(readings)) sample[key] = readings[key]
    sample["uptime_s"] = uptimeSeconds
    return JSON.stringify(sample)
}

/** Adds `"dropped":n` to a serialized sample (samples always start with `{`). */
export function withDropped(json: string, dropped: number): string {
    if (dropped <= 0) return json
    return '{"dropped":' + dropped + (json.length > 2 ? "," : "") + json.slice(1)
}

/**
 * Adds `"age_ms":n` as the last member of a serialized sample that waited in the queue
 * (protocol/age.ts). Text only, no parsing: two slices and a concatenation, cheap enough
 * for a flush of 128 samples within the VM's step budget. `ageMs` 0 leaves it as it is.
 */
export function withAge(json: string, ageMs: number): string {
    if (ageMs <= 0) return json
    return json.slice(0, json.length - 1) + (json.length > 2 ? "," : "") + '"age_ms":' + ageMs + "}"
}

/**
 * A recorded sensor series (CSV) as a waveform: `time_s,value` per line, an optional
 * header, times increasing. Between two points the value is interpolated linearly;
 * before the first it is the first value, after the last the last (or, with `loop`, the
 * series starts over). Pure: text in, points or located problems out.
 */

export type SeriesPoint = [number, number]

/** The points of a CSV text; throws an Error listing each bad line (`line 3: …`). */
export function parseSeriesCsv(text: string): SeriesPoint[] {
    const points: SeriesPoint[] = []
    const problems: string[] = []
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.trim()
        if (line === "" || line.startsWith("#")) return
        const cells = line.split(/[,;\t]/).map(c => c.trim())
        const t = Number(cells[0])
        const v = Number(cells[1])
        if (
            cells.length < 2 ||
            cells[0] === "" ||
            cells[1] === "" ||
            !Number.isFinite(t) ||
            !Number.isFinite(v)
        ) {
            // A first line of words is a header.
            if (points.length === 0 && problems.length === 0 && i === 0 && !/^-?[\d.]/.test(line)) return
            problems.push(`line ${i + 1}: found ${JSON.stringify(line)}, expected time_s,value (two numbers)`)
            return
        }
        const last = points[points.length - 1]
        if (last && t <= last[0])
            problems.push(
                `line ${i + 1}: time ${t} s does not come after ${last[0]} s; expected increasing times`,
            )
        else points.push([t, v])
    })
    if (problems.length === 0 && points.length === 0)
        problems.push("found no points, expected lines of time_s,value")
    if (problems.length > 0) throw new Error(problems.join("; "))
    return points
}

/** The series' value at `t` seconds. */
export function seriesValue(points: readonly SeriesPoint[], t: number, loop: boolean): number {
    const first = points[0][0]
    const last = points[points.length - 1][0]
    if (loop && last > first && t > last) t = first + ((t - first) % (last - first))
    if (t <= first) return points[0][1]
    if (t >= last) return points[points.length - 1][1]
    let i = 1
    while (points[i][0] < t) i++
    const [t0, v0] = points[i - 1]
    const [t1, v1] = points[i]
    return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0)
}

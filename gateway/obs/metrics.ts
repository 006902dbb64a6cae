/**
 * A small Prometheus registry: counters and gauges with labels, rendered in the text
 * exposition format 0.0.4. Enough for the gateway's needs without a dependency.
 */

type Labels = Record<string, string>

interface Family {
    name: string
    help: string
    type: "counter" | "gauge"
    values: Map<string, { labels: Labels; value: number }>
    /** For gauges read at scrape time. */
    collect?: () => { labels: Labels; value: number }[]
}

function key(labels: Labels): string {
    return Object.keys(labels)
        .sort()
        .map(k => `${k}\u0000${labels[k]}`)
        .join("\u0001")
}

/** Label value escaping of the text format: backslash, double quote, line feed. */
export function escapeLabel(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
}

function render(labels: Labels): string {
    const keys = Object.keys(labels)
    if (keys.length === 0) return ""
    return "{" + keys.map(k => `${k}="${escapeLabel(labels[k])}"`).join(",") + "}"
}

/** One series of a counter, its labels resolved once: for counts taken per line. */
export interface CounterSeries {
    inc(by?: number): void
}

export class Counter {
    constructor(private readonly family: Family) {}

    inc(labels: Labels = {}, by = 1): void {
        const k = key(labels)
        const entry = this.family.values.get(k)
        if (entry) entry.value += by
        else this.family.values.set(k, { labels, value: by })
    }

    /**
     * The series of `labels`, looked up once. It is exported from its first increment on
     * (as with inc), so a series never counted does not show.
     */
    series(labels: Labels): CounterSeries {
        const k = key(labels)
        const values = this.family.values
        let entry = values.get(k)
        return {
            inc: (by = 1) => {
                if (entry === undefined) values.set(k, (entry = values.get(k) ?? { labels, value: 0 }))
                entry.value += by
            },
        }
    }

    get(labels: Labels = {}): number {
        return this.family.values.get(key(labels))?.value ?? 0
    }
}

export class Gauge {
    constructor(private readonly family: Family) {}

    set(labels: Labels, value: number): void {
        const k = key(labels)
        const entry = this.family.values.get(k)
        if (entry) entry.value = value
        else this.family.values.set(k, { labels, value })
    }

    get(labels: Labels = {}): number {
        return this.family.values.get(key(labels))?.value ?? 0
    }

    /** Removes a series (a device gone for good), so it stops being exported. */
    remove(labels: Labels): void {
        this.family.values.delete(key(labels))
    }
}

export class Registry {
    private readonly families: Family[] = []

    private add(name: string, help: string, type: Family["type"], collect?: Family["collect"]): Family {
        const family: Family = { name, help, type, values: new Map(), collect }
        this.families.push(family)
        return family
    }

    counter(name: string, help: string): Counter {
        return new Counter(this.add(name, help, "counter"))
    }

    gauge(name: string, help: string): Gauge {
        return new Gauge(this.add(name, help, "gauge"))
    }

    /**
     * Removes every series whose label `name` is `value`, in every family: what a device
     * id gone for good leaves behind, so ids that come and go do not grow the registry.
     * Counters of an id that returns start again from 0 (a reset, as after a restart).
     */
    forget(name: string, value: string): void {
        for (const f of this.families)
            for (const [k, s] of f.values) if (s.labels[name] === value) f.values.delete(k)
    }

    /** Series held (for tests and the bounded-memory checks). */
    get seriesCount(): number {
        return this.families.reduce((n, f) => n + f.values.size, 0)
    }

    /** A gauge whose series are computed at each scrape. */
    collected(name: string, help: string, collect: () => { labels: Labels; value: number }[]): void {
        this.add(name, help, "gauge", collect)
    }

    render(): string {
        const out: string[] = []
        for (const f of this.families) {
            out.push(
                `# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
                `# TYPE ${f.name} ${f.type}`,
            )
            const series = f.collect ? f.collect() : [...f.values.values()]
            for (const s of series)
                out.push(`${f.name}${render(s.labels)} ${Number.isFinite(s.value) ? s.value : 0}`)
        }
        return out.join("\n") + "\n"
    }
}

/**
 * The bench's output: one table of figures, each with its unit, how it was obtained,
 * and its ratio to the baseline or floor it is compared with. Pure.
 */

/** How a figure was obtained, so that a reader never mistakes a computation for a measurement. */
export type Basis = "measured" | "computed" | "reference"

export interface Row {
    name: string
    /** A number, or a word when there is nothing to count ("none"). */
    figure: number | string
    unit: string
    basis: Basis
    /** figure ÷ baseline; undefined when nothing is compared. */
    ratio?: number
    /** What the ratio compares with ("floor", "library", "heap"). */
    against?: string
    /** Digits after the point; default: none for whole numbers, else one. */
    decimals?: number
}

export interface Section {
    title: string
    rows: Row[]
    notes: string[]
}

function formatNumber(value: number, decimals: number | undefined): string {
    if (!Number.isFinite(value)) return "n/a"
    const digits = decimals ?? (Number.isInteger(value) ? 0 : 1)
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function formatRatio(row: Row): string {
    if (row.ratio === undefined) return ""
    const ratio = Number.isFinite(row.ratio) ? row.ratio.toFixed(2) : "n/a"
    return `${ratio} × ${row.against ?? ""}`.trim()
}

export function renderSection(section: Section): string {
    const cells = section.rows.map(row => [
        row.name,
        typeof row.figure === "number" ? formatNumber(row.figure, row.decimals) : row.figure,
        row.unit,
        formatRatio(row),
        row.basis,
    ])
    const header = ["name", "figure", "unit", "ratio", "basis"]
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)))
    // Figures right-aligned, so digits line up.
    const line = (c: string[]) =>
        c
            .map((cell, i) => (i === 1 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
            .join("  ")
            .trimEnd()
    const out = [section.title, line(header), line(widths.map(w => "-".repeat(w))), ...cells.map(line)]
    for (const note of section.notes) out.push(`  * ${note}`)
    return out.join("\n")
}

/** A ratio and what it compares with. */
export interface Compared {
    ratio: number
    against: string
}

export function row(
    name: string,
    figure: number | string,
    unit: string,
    basis: Basis,
    compared?: Compared,
): Row {
    return { name, figure, unit, basis, ...compared }
}

/** A row in KB (1 KB = 1024 B, as DeviceScript's own size reports count), one decimal. */
export function kbRow(name: string, bytes: number, basis: Basis, compared?: Compared): Row {
    return { name, figure: bytes / 1024, unit: "KB", basis, decimals: 1, ...compared }
}

/** `{ ratio: value / baseline, against }`, for the ratio column. */
export function vs(value: number, baseline: number, against: string): Compared {
    return { ratio: value / baseline, against }
}

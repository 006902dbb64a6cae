/**
 * The write progress as a person sees it: a bar redrawn in place on a terminal, or a
 * line every 10 % when the output goes to a file or a pipe (CI logs stay short).
 */

/** "[##########----------]  50%". Pure. */
export function progressBar(percent: number, width = 30): string {
    const p = Math.max(0, Math.min(100, percent))
    const filled = Math.round((p / 100) * width)
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.toFixed(0).padStart(3)}%`
}

export interface ProgressSink {
    isTTY?: boolean
    write(text: string): unknown
}

export class Progress {
    private last = -1
    private drawn = false

    constructor(
        private readonly out: ProgressSink,
        private readonly label: string,
    ) {}

    update(percent: number): void {
        if (this.out.isTTY) {
            const whole = Math.floor(percent)
            if (whole === this.last) return
            this.last = whole
            this.out.write(`\r${this.label} ${progressBar(percent)}`)
            this.drawn = true
            return
        }
        const step = Math.floor(percent / 10) * 10
        if (step <= this.last) return
        this.last = step
        this.out.write(`${this.label} ${progressBar(step)}\n`)
    }

    /** Ends the bar's line (on a terminal). */
    end(): void {
        if (this.drawn) this.out.write("\n")
        this.drawn = false
    }
}

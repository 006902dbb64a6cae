/**
 * A failure a person at the terminal can act on: what went wrong, then what to try.
 * The command prints it as it is (no stack) and exits 1.
 */
export class FlashError extends Error {
    constructor(
        readonly problem: string,
        readonly hints: readonly string[] = [],
    ) {
        super(hints.length === 0 ? problem : `${problem}\n${hints.map(h => `  - ${h}`).join("\n")}`)
        this.name = "FlashError"
    }
}

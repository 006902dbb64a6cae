/** An error meant for the person at the terminal: printed as-is, no stack, exit code 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "UsageError"
    }
}

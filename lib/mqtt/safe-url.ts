/** A broker URL as it may be printed or logged: no user name or password. */
export function safeUrl(url: string | URL): string {
    try {
        const u = new URL(url.toString())
        u.username = ""
        u.password = ""
        return u.toString()
    } catch {
        return "(unparsable URL)"
    }
}

/**
 * Port globs such as `/dev/ttyUSB*` or `/dev/serial/by-id/usb-Espressif*`: `*` and `?`
 * match within one path level, `[abc]` a character class. The matcher is pure; the
 * expansion takes a directory reader so tests can give it any tree.
 */
import path from "node:path"

export function hasMagic(segment: string): boolean {
    return /[*?[]/.test(segment)
}

export function globToRegExp(segment: string): RegExp {
    let out = "^"
    for (let i = 0; i < segment.length; i++) {
        const c = segment[i]
        if (c === "*") out += "[^/]*"
        else if (c === "?") out += "[^/]"
        else if (c === "[") {
            const close = segment.indexOf("]", i + 2)
            if (close < 0) out += "\\["
            else {
                const body = segment.slice(i + 1, close).replace(/\\/g, "\\\\")
                out += body.startsWith("!") ? `[^${body.slice(1)}]` : `[${body}]`
                i = close
            }
        } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&")
    }
    return new RegExp(out + "$")
}

/** Every existing path matching the absolute `pattern`, sorted. Hidden entries match only an explicit dot. */
export function expandGlob(pattern: string, readdir: (dir: string) => string[]): string[] {
    const parts = pattern.split("/").filter(p => p !== "")
    let bases = ["/"]
    for (const part of parts) {
        const next: string[] = []
        for (const base of bases) {
            if (!hasMagic(part)) {
                next.push(path.join(base, part))
                continue
            }
            const re = globToRegExp(part)
            let names: string[]
            try {
                names = readdir(base)
            } catch {
                continue
            }
            for (const name of names)
                if (re.test(name) && (!name.startsWith(".") || part.startsWith(".")))
                    next.push(path.join(base, name))
        }
        bases = next
    }
    return bases.sort()
}

// isJsonObject (protocol/serial/json-object.ts) decides a `{` line without building it:
// it must accept exactly what JSON.parse accepts as an object, on edge cases and on
// random texts grown from the grammar and then damaged.
import test from "ava"
import { isJsonObject } from "../../protocol/serial/json-object.js"

function parsesToObject(text: string): boolean {
    try {
        const v: unknown = JSON.parse(text)
        return typeof v === "object" && v !== null && !Array.isArray(v)
    } catch {
        return false
    }
}

function random(seed: number): (n: number) => number {
    let s = seed >>> 0
    return n => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        return s % n
    }
}

const PIECES = [
    "{",
    "}",
    "[",
    "]",
    '"',
    ":",
    ",",
    "\\",
    "-",
    "+",
    ".",
    "e",
    "E",
    "0",
    "1",
    "9",
    " ",
    "\t",
    "\n",
    "\r",
    "\u0001",
    "\u001f",
    "\u007f",
    "u",
    "a",
    "F",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "é",
    "\ud83d",
    "\ude00",
    "\\u00e9",
    "\\uZZ",
    "/",
    "\u00a0",
]

function grow(r: (n: number) => number, depth: number): string {
    const k = r(depth > 3 ? 5 : 8)
    const space = () => [" ", "", "", "\n", "\t", "\r"][r(6)]
    switch (k) {
        case 0:
            return ["true", "false", "null"][r(3)]
        case 1:
            return ["0", "-0", "12", "-3.25", "1e5", "2E-3", "0.5e+10", "7"][r(8)]
        case 2:
        case 3:
        case 4: {
            let s = '"'
            for (let i = r(6); i > 0; i--)
                s += ["a", "é", "\\n", "\\u0041", '\\"', "\\\\", "\\/", "🙂", " "][r(9)]
            return s + '"'
        }
        case 5: {
            const items = Array.from({ length: r(4) }, () => space() + grow(r, depth + 1) + space())
            return `[${items.join(",")}]`
        }
        default:
            return object(r, depth + 1)
    }
}

function object(r: (n: number) => number, depth: number): string {
    const space = () => [" ", "", ""][r(3)]
    const members = Array.from(
        { length: r(4) },
        () => `${space()}${grow(r, 9)}${space()}:${space()}${grow(r, depth)}`,
    )
    return `{${members.join(",")}}`
}

function damage(r: (n: number) => number, text: string): string {
    let s = text
    for (let n = r(3); n > 0; n--) {
        const at = r(s.length + 1)
        const op = r(3)
        const piece = PIECES[r(PIECES.length)]
        s =
            op === 0
                ? s.slice(0, at) + piece + s.slice(at)
                : op === 1
                  ? s.slice(0, at) + s.slice(at + 1)
                  : s.slice(0, at) + piece + s.slice(at + 1)
    }
    return s
}

test("edge cases agree with JSON.parse", t => {
    const cases = [
        "{}",
        "{ }",
        " {}",
        "{} ",
        "{}\r\n",
        "{",
        "}",
        "{}}",
        "{}{}",
        "{,}",
        '{"a"}',
        '{"a":}',
        '{"a":1,}',
        '{"a":1 "b":2}',
        '{"a":01}',
        '{"a":-}',
        '{"a":1.}',
        '{"a":.5}',
        '{"a":1e}',
        '{"a":1e+}',
        '{"a":-0}',
        '{"a":0.0e-0}',
        '{"a":+1}',
        '{"a":"\\x"}',
        '{"a":"\\u12"}',
        '{"a":"\\u12G4"}',
        '{"a":"\\uD83D"}',
        '{"a":"\t"}',
        '{"a":"\u007f"}',
        '{"a":"\u2028"}',
        '{"a":tru}',
        '{"a":truex}',
        '{"a":nulls}',
        '{"a":[1,]}',
        '{"a":[,1]}',
        '{"a":[]}',
        '{"a":[[[]]]}',
        '{"a":{"b":{}}}',
        '{"a":1}\u00a0',
        "\u00a0{}",
        '{"a":1,"a":2}',
        "[]",
        '"x"',
        "1",
        "null",
        "{'a':1}",
        "{a:1}",
        '{"a":NaN}',
        '{"a":Infinity}',
        '{"seq":1,"t":21.5,"ok":true,"tags":["x","y"],"n":null}',
    ]
    for (const text of cases) t.is(isJsonObject(text), parsesToObject(text), JSON.stringify(text))
})

test("random texts from the grammar, damaged or not, agree with JSON.parse", t => {
    let accepted = 0
    for (let seed = 1; seed <= 40_000; seed++) {
        const r = random(seed)
        const base = object(r, 0)
        const text = r(3) === 0 ? base : damage(r, base)
        const want = parsesToObject(text)
        if (want) accepted++
        if (isJsonObject(text) !== want) {
            t.fail(`seed ${seed}: ${JSON.stringify(text)}: JSON.parse says ${want}`)
            return
        }
    }
    t.true(
        accepted > 10_000 && accepted < 35_000,
        `both kinds are tried (${accepted} of 40,000 were objects)`,
    )
})

// CRC-8/SMBUS vectors: the catalogue check value and hand-computed ones.
import test from "ava"
import { crc8, crc8Text, crcHex } from "../../protocol/serial/index.js"

const ascii = (s: string) => new TextEncoder().encode(s)

test('the catalogue check value: CRC-8/SMBUS of "123456789" is 0xF4', t => {
    t.is(crc8(ascii("123456789")), 0xf4)
    t.is(crc8Text("123456789"), 0xf4)
})

test("vectors: empty, one byte, the polynomial itself, and a protocol line", t => {
    t.is(crc8([]), 0x00) // init 0, xorout 0
    t.is(crc8([0x00]), 0x00)
    t.is(crc8([0x01]), 0x07) // one bit through the polynomial x^8 + x^2 + x + 1
    t.is(crc8([0x80]), 0x89)
    t.is(crc8([0xff]), 0xf3)
    t.is(crc8Text("ping"), crc8(ascii("ping")))
    t.is(crcHex(crc8Text("pub temp 21.5")), crcHex(crc8(ascii("pub temp 21.5"))))
})

test("a range is the CRC of the slice, and UTF-8 text is hashed as its bytes", t => {
    const bytes = ascii("xx123456789yy")
    t.is(crc8(bytes, 2, 11), 0xf4)
    t.is(crc8Text("é"), crc8([0xc3, 0xa9]))
})

test("crcHex gives two upper-case digits", t => {
    t.is(crcHex(0x0a), "0A")
    t.is(crcHex(0xf4), "F4")
    t.is(crcHex(0), "00")
})

test("bitwise reference agrees with the table on every single byte and 1000 random strings", t => {
    const reference = (bytes: number[]) => {
        let crc = 0
        for (const b of bytes) {
            crc ^= b
            for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff
        }
        return crc
    }
    for (let b = 0; b < 256; b++) t.is(crc8([b]), reference([b]))
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff
    for (let n = 0; n < 1000; n++) {
        const bytes = Array.from({ length: n % 97 }, next)
        if (crc8(bytes) !== reference(bytes)) return t.fail(`mismatch for ${bytes}`)
    }
    t.pass()
})

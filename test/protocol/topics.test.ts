/**
 * Topic rules, MQTT 3.1.1 §4.7: the spec's own examples (§4.7.1.2, §4.7.1.3, §4.7.2,
 * §4.7.3) as tables shared with the DeviceScript suite, one ava assertion per row.
 */
import test from "ava"
import { idError, topicFilterError, topicMatches, topicNameError } from "../../protocol/mqtt/index.js"
import { idCases, topicFilterCases, topicMatchCases, topicNameCases } from "../../firmware/test/vectors.js"

for (const [filter, name, expected] of topicMatchCases()) {
    test(`topicMatches(${JSON.stringify(filter)}, ${JSON.stringify(name)}) is ${expected}`, t => {
        t.is(topicMatches(filter, name), expected)
    })
}

test("topicFilterError: validity of filters (§4.7.1)", t => {
    for (const [filter, expected] of topicFilterCases())
        t.is(topicFilterError(filter), expected, JSON.stringify(filter))
})

test("topicNameError: validity of names (§4.7.1, §4.7.3)", t => {
    for (const [name, expected] of topicNameCases())
        t.is(topicNameError(name), expected, JSON.stringify(name))
})

test("idError: DESIGN §1 ids are one safe topic level", t => {
    for (const [id, expected] of idCases()) t.is(idError(id), expected, JSON.stringify(id))
})

test("every valid id is a valid, wildcard-free topic level that never starts with $", t => {
    for (const [id, expected] of idCases()) {
        if (expected !== null) continue
        const topic = `fieldlink/devices/${id}/status`
        t.is(topicNameError(topic), null)
        t.true(topicMatches("fieldlink/devices/+/status", topic))
        t.false(topicMatches("fieldlink/devices/+", topic))
    }
})

test("a filter matches itself when it has no wildcards", t => {
    for (const [name, expected] of topicNameCases()) {
        if (expected === null) t.true(topicMatches(name, name), name)
    }
})

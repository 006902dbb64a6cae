// Probe for test/vm: prints its device id and settings first, then its sensor readings
// every 100 ms.
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"

const greeting = await readSetting("greeting", "default")
const count = await readSetting("count", -1)
const enabled = await readSetting("enabled", false)
// JSON.stringify in the VM escapes non-ASCII bytewise, so the string goes out as is too.
console.log(`settings ${JSON.stringify({ count, enabled })} greeting=${greeting}`)
console.log(`id ${ds.deviceIdentifier("self")}`)

const temperature = new ds.Temperature()
const humidity = new ds.Humidity()
setInterval(async () => {
    const t = await temperature.reading.read()
    const h = await humidity.reading.read()
    console.log(`reading ${JSON.stringify({ t, h })}`)
}, 100)

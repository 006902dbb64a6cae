/**
 * The files `fieldlink init` writes: a device project its user owns. Pure: text from the
 * project's name, board and the toolkit's version.
 */

export interface ProjectTemplate {
    /** The folder's name, used as the package name. */
    name: string
    /** A board id or profile file, the default of `fieldlink build --board` and `flash`. */
    board: string
    /** The toolkit's version: the project depends on this fieldlink and fieldlink-firmware. */
    version: string
}

/** An npm package name from a folder name: lower case, letters, digits, `-`, `_`, `.`. */
export function packageName(folder: string): string {
    const name = folder
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, "-")
        .replace(/^[._-]+/, "")
    return name === "" ? "my-device" : name.slice(0, 214)
}

const MAIN_TS = `// Your device: what it measures and what it obeys. fieldlink-firmware brings up the
// rest (settings, WiFi, MQTT with will and birth, keep-alive, reconnects, the offline
// queue). See the library's reference: node_modules/fieldlink-firmware/README.md
import * as ds from "@devicescript/core"
import { device } from "fieldlink-firmware"

const temperature = new ds.Temperature()
const humidity = new ds.Humidity()

const node = await device.start()

// One sample every 10 s (the setting interval_ms and cmd/interval change it); units in
// the key names: _c °C, _pct %, _hpa hPa, _lx lx.
node.telemetry({ every: 10_000 }, async () => ({
    temperature_c: Math.round((await temperature.reading.read()) * 100) / 100,
    humidity_pct: Math.round((await humidity.reading.read()) * 100) / 100,
}))

// fieldlink/devices/<id>/cmd/hello: an action, run only when sent live.
node.command("hello", async (payload) => {
    node.log("hello " + payload)
})
`

const SCENARIO = `# Run with: npx fieldlink sim scenario.yaml --check (docs: fieldlink's docs/scenarios.md)
name: my device comes online and reports
duration: 12
boards:
  - id: dev-1
    interval: 1000
    temperature: { type: sine, mean: 21, amplitude: 3, periodS: 60 }
    humidity: { type: constant, value: 45 }
inputs:
  - { at: 4, device: dev-1, command: hello, payload: world }
expect:
  - { type: status, device: dev-1, becomes: online, after: 0, within: 10 }
  - { type: telemetry, device: dev-1, atLeast: 3 }
  - { type: reading, device: dev-1, field: temperature_c, min: 17, max: 25 }
  - { type: log, device: dev-1, contains: "hello world", after: 4, within: 5 }
`

function workflow(): string {
    return `# Runs your device's scenario in the simulator on every push: the real bytecode in
# the DeviceScript VM, against an embedded broker.
name: device
on: [push, pull_request]
jobs:
  scenario:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npm install --no-audit --no-fund
      - run: npx fieldlink build
      - run: npx fieldlink sim scenario.yaml --check
`
}

function readme(t: ProjectTemplate): string {
    return `# ${t.name}

A sensor device built on [fieldlink](https://www.npmjs.com/package/fieldlink): the program
is \`src/main.ts\` (DeviceScript), on the \`fieldlink-firmware\` library.

\`\`\`sh
npm install                          # the toolkit and the library
npx fieldlink build                  # compile src/main.ts; a mistake comes back as file:line
npx fieldlink sim                    # run it in the simulator against an embedded broker
npx fieldlink sim scenario.yaml --check   # the scenario, as CI runs it (npm test)
npx fieldlink flash --wifi-ssid NET --wifi-password PASS --broker mqtt://HOST:1883
\`\`\`

The board is named in package.json (\`"fieldlink": { "board": "${t.board}" }\`);
\`npx fieldlink boards\` lists the others, and how to add your own profile.
Settings for flashing can also go in \`.env.local\` (\`wifi_ssid=…\`, git-ignored); for
several nodes of one broker, tried in turn, list them there:
\`mqtt_host=node1.lan,node2.lan:1884\` (a node without a port takes \`mqtt_port\`).
`
}

function packageJson(t: ProjectTemplate): string {
    const pkg = {
        name: t.name,
        version: "0.1.0",
        private: true,
        description: "A fieldlink device",
        scripts: {
            build: "fieldlink build",
            sim: "fieldlink sim",
            test: "fieldlink sim scenario.yaml --check",
            flash: "fieldlink flash",
        },
        fieldlink: { board: t.board },
        dependencies: { "fieldlink-firmware": `^${t.version}` },
        devDependencies: { fieldlink: `^${t.version}` },
    }
    return JSON.stringify(pkg, null, 2) + "\n"
}

/** Path (relative to the project) → content. */
export function projectFiles(t: ProjectTemplate): Record<string, string> {
    return {
        "package.json": packageJson(t),
        "devsconfig.json": "{}\n",
        "src/main.ts": MAIN_TS,
        "scenario.yaml": SCENARIO,
        "README.md": readme(t),
        ".gitignore": "node_modules/\n.devicescript/\n.env.local\n",
        ".github/workflows/device.yml": workflow(),
    }
}

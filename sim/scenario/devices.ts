/** The board list a scenario describes: groups expanded into one spec per board. Pure. */
import type { BoardSpec } from "../fleet.js"
import type { Scenario } from "./types.js"

export function scenarioBoards(s: Scenario): BoardSpec[] {
    const specs: BoardSpec[] = []
    for (const g of s.boards) {
        const ids =
            g.id !== undefined
                ? [g.id]
                : Array.from({ length: g.count ?? 1 }, (_, i) => `${g.idPrefix ?? "board"}-${i + 1}`)
        for (const deviceId of ids)
            specs.push({
                deviceId,
                keepAliveSeconds: g.keepalive,
                intervalMs: g.interval,
                queueMax: g.queueMax,
                temperature: g.temperature,
                humidity: g.humidity,
                soilMoisture: g.soilMoisture,
                illuminance: g.illuminance,
                airPressure: g.airPressure,
                lightLevel: g.lightLevel,
            })
    }
    return specs
}

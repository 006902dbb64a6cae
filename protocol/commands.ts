/**
 * Commands and the retain flag (DESIGN §1: a command is an action).
 *
 * A broker sends a retained message again, with RETAIN = 1, every time a client makes a
 * new subscription that matches it [MQTT-3.3.1-8]; subscribers that were there when it
 * was published get it with RETAIN = 0 [MQTT-3.3.1-9]. So a command that arrives with
 * RETAIN = 1 is stale: someone published it with the retain flag (many MQTT tools keep it
 * ticked) and the broker repeats it at every (re)connection. Run as an action (restart,
 * stop), it would repeat at every connection: a restart loop. Only a command declared a
 * *state* (a value such as an interval, the same however often it is set) may be
 * restored from it.
 *
 * Clearing a retained message means publishing a zero-length retained message on its
 * topic, and the broker forwards that to current subscribers as an ordinary, empty
 * message [MQTT-3.3.1-10]. So an empty live message on a topic where a retained command
 * was seen is that clearing, not a command: obeying it would restart the device the
 * moment someone follows our advice.
 *
 * Shared by the firmware and the gateway: pure, inside the DeviceScript subset.
 */

/** `action`: runs only when sent live (restart, stop). `state`: may be restored from a retained value (interval). */
export type CommandKind = "action" | "state"

/**
 * - `run`: sent live, run it.
 * - `restore`: retained, and a state: run it (the value is restored).
 * - `ignore`: retained, and an action: do not run it.
 * - `cleared`: the empty message that clears a retained command seen before: do not run it.
 */
export type CommandVerdict = "run" | "restore" | "ignore" | "cleared"

export interface CommandDecision {
    verdict: CommandVerdict
    /** True the first time a verdict needs telling (an ignored retained command, once per topic). */
    report: boolean
}

/** Topics remembered at most; past it the oldest is forgotten (then it may be reported again). */
export const DEFAULT_MAX_TOPICS = 32

/** The command that deletes the retained message on `topic` (add -h/-p/-u for your broker). */
export function clearRetainedCommand(topic: string): string {
    return "mosquitto_pub -r -n -t " + shellWord(topic)
}

/** `text` as one shell word: as it is when that is safe, else in single quotes. */
export function shellWord(text: string): string {
    let safe = text.length > 0
    for (let i = 0; i < text.length && safe; i++) safe = isSafeShellChar(text.charCodeAt(i))
    if (safe) return text
    return "'" + text.split("'").join("'\\''") + "'"
}

function isSafeShellChar(c: number): boolean {
    // A-Z a-z 0-9 and _ - . / : +
    return (
        (c >= 48 && c <= 57) ||
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        c === 95 ||
        c === 45 ||
        c === 46 ||
        c === 47 ||
        c === 58 ||
        c === 43
    )
}

/**
 * Decides, command by command, what a retained flag means, and remembers the topics on
 * which a retained command was seen (to report each once, not at every reconnection, and
 * to recognise the message that clears it).
 */
export class RetainedCommands {
    /** Topics a retained command arrived on, oldest first, and whether it was reported. */
    private seen: { topic: string; reported: boolean }[] = []

    constructor(private maxTopics: number = DEFAULT_MAX_TOPICS) {}

    decide(topic: string, kind: CommandKind, retained: boolean, payloadLength: number): CommandDecision {
        const entry = this.seen.find(e => e.topic === topic)
        if (retained) {
            if (kind === "state") {
                if (!entry) this.remember(topic, false)
                return { verdict: "restore", report: false }
            }
            if (entry && entry.reported) return { verdict: "ignore", report: false }
            if (entry) entry.reported = true
            else this.remember(topic, true)
            return { verdict: "ignore", report: true }
        }
        if (payloadLength === 0 && entry) {
            this.seen = this.seen.filter(e => e.topic !== topic)
            return { verdict: "cleared", report: true }
        }
        return { verdict: "run", report: false }
    }

    private remember(topic: string, reported: boolean): void {
        if (this.seen.length >= this.maxTopics) this.seen.shift()
        this.seen.push({ topic: topic, reported: reported })
    }
}

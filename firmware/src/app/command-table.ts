/**
 * A device's commands, declared in one table: each has a name (`cmd/<name>`), a kind and
 * a handler. The kind says what a retained message on its topic may do
 * (protocol/commands.ts): an `action` (restart, stop) runs only when sent live; a
 * `state` (interval) is also restored from a retained value at every (re)subscription.
 * So a handler never sees a stale action, and each one ignored is logged once per topic
 * with the command that clears it.
 *
 * Declaring a command is all a firmware author does; the table takes care of the rest.
 */
import { commandName } from "@fieldlink/protocol/fieldlink-topics"
import { clearRetainedCommand, CommandKind, RetainedCommands } from "@fieldlink/protocol/commands"

export interface CommandSpec<C> {
    /** The topic level(s) after `cmd/`, e.g. `interval`, `led/color`. */
    name: string
    kind: CommandKind
    /** Runs the command; `payload` is the message as UTF-8 text. */
    run(payload: string, ctx: C): Promise<void>
}

export class CommandTable<C> {
    private retained = new RetainedCommands()

    constructor(
        private root: string,
        private deviceId: string,
        private specs: CommandSpec<C>[],
        private log: (line: string) => void,
    ) {}

    /** One message from the broker: run it, restore it, or say why not. */
    async dispatch(topic: string, payload: string, retained: boolean, ctx: C): Promise<void> {
        const name = commandName(this.root, this.deviceId, topic)
        if (name === null) return
        const spec = this.find(name)
        // An unknown command is treated as an action: a stale one is reported once, not at every connection.
        const kind: CommandKind = spec === null ? "action" : spec.kind
        const decision = this.retained.decide(topic, kind, retained, payload.length)
        const verdict = decision.verdict
        if (verdict === "ignore") {
            if (decision.report)
                this.log(
                    "cmd " +
                        name +
                        ": retained, not run (a stale action); clear it: " +
                        clearRetainedCommand(topic),
                )
            return
        }
        if (verdict === "cleared") {
            this.log(
                "cmd " +
                    name +
                    ": empty, after a retained one: taken as its clearing, not run (send it again to run it)",
            )
            return
        }
        if (spec === null) {
            this.log("cmd " + name + ": unknown command")
            return
        }
        if (verdict === "restore") this.log("cmd " + name + ": restoring its retained value")
        await spec.run(payload, ctx)
    }

    private find(name: string): CommandSpec<C> {
        for (const spec of this.specs) if (spec.name === name) return spec
        return null
    }
}

/** How the commands name what they act on: the user's project or the stock firmware. */
import { relative } from "node:path"
import type { FirmwareProject } from "@fieldlink/devs-host/firmware"

export function describeProject(project: FirmwareProject): string {
    if (project.stock) return "the stock firmware"
    const where = relative(process.cwd(), project.dir) || "."
    return `your program ${where === "." ? "" : where + "/"}${project.entry}`
}

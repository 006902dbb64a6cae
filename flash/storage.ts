/**
 * The storage part of a bundled image (program + settings), written by the DeviceScript
 * runtime itself, as `devs bundle` does: a VM with emulated flash of the board's storage
 * size gets the settings through its Settings service and the program through its
 * deploy path, and whatever it saved to flash is the storage. So the format is the
 * runtime's own, never a reimplementation of it (./fstor.ts only reads it back).
 *
 * The program is deployed with autostart off, so it never runs here.
 */
import { BoardBus } from "@fieldlink/devs-host/bus"
import { loadVmFactory, type RawVm } from "@fieldlink/devs-host/bundle"
import { DeviceScriptManagerReg, SRV_DEVICE_SCRIPT_MANAGER } from "@fieldlink/devs-host/jacdac"
import {
    deliverSettings,
    encodeSettings,
    waitForVmDevice,
    type BoardSettings,
} from "@fieldlink/devs-host/settings"
import {
    fnv1a,
    listEntries,
    PROGRAM_HEADER_SIZE,
    PROGRAM_KEY,
    PROGRAM_MAGIC0,
    PROGRAM_MAGIC1,
} from "./fstor.js"

/** The emscripten module also reads `flashSize` (bytes of emulated flash) when it starts. */
type FlashVm = RawVm & { flashSize?: number }

export interface StorageOptions {
    program: Uint8Array
    settings: BoardSettings
    pageSize: number
    pages: number
    /** Deadline for the whole job (ms). Default 20 000. */
    timeoutMs?: number
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`bundling timed out after ${ms} ms while ${what}`)), ms)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Register and settings writes are acknowledged Jacdac commands with a 500 ms deadline
 * each; on a loaded machine one can miss it. Writing the same value again is harmless.
 */
async function retryingTimeouts(step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        try {
            await step()
            return
        } catch (error) {
            if ((error as { code?: string }).code !== "timeout" || attempt >= 3) throw error
        }
    }
}

/** The board's whole storage region (pages × page size), 0xff where nothing was written. */
export async function buildStorage(o: StorageOptions): Promise<Uint8Array> {
    const size = o.pages * o.pageSize
    const encoded = encodeSettings(o.settings)
    const log: string[] = []
    let saved: Uint8Array | undefined
    const vm = (await loadVmFactory()({ print: t => log.push(t), printErr: t => log.push(t) })) as FlashVm
    vm.flashSize = size
    vm.flashLoad = () => new Uint8Array(0)
    vm.flashSave = image => {
        saved = image.slice()
    }
    vm.dmesg = line => log.push(line)
    vm.log = (...args) => log.push(args.map(String).join(" "))
    vm.error = error => log.push(`error: ${String(error)}`)
    vm.panicHandler = () => undefined
    vm.sockIsAvailable = () => false
    // The glue's handlePacket steps the VM after each frame: announces included, as before.
    const bus = new BoardBus(frames => frames.forEach(frame => vm.handlePacket(frame)))
    vm.sendPacket = frame => bus.fromVm(frame)
    const abort = new AbortController()
    const timeoutMs = o.timeoutMs ?? 20_000
    try {
        vm.devsGcStress(false)
        vm.devsSetDeviceId("fieldlink-bundler")
        vm.devsStart()
        const device = await withTimeout(
            waitForVmDevice(bus.bus, abort.signal),
            timeoutMs,
            "waiting for the runtime to start",
        )
        const manager = device.services({ serviceClass: SRV_DEVICE_SCRIPT_MANAGER })[0]
        const autostart = manager.register(DeviceScriptManagerReg.Autostart)
        await withTimeout(
            retryingTimeouts(() => autostart.sendSetBoolAsync(false, true)),
            timeoutMs,
            "turning autostart off",
        )
        if (encoded.length > 0)
            await withTimeout(
                retryingTimeouts(() => deliverSettings(device, encoded)),
                timeoutMs,
                "storing the settings",
            )
        const code = vm.devsDeploy(o.program)
        if (code !== 0)
            throw new Error(
                `the DeviceScript runtime rejected the program (deploy error ${code}); rebuild it with the pinned @devicescript/cli`,
            )
    } catch (error) {
        const tail = log.slice(-5).join("\n    ")
        throw new Error(`${(error as Error).message}${tail ? `\n  runtime log:\n    ${tail}` : ""}`, {
            cause: error,
        })
    } finally {
        abort.abort()
        vm.devsStop()
        queueMicrotask(() => vm.devsStop())
        await bus.close()
    }
    if (!saved) throw new Error("the DeviceScript runtime saved nothing to flash")
    if (saved.length > size)
        throw new Error(`the runtime saved ${saved.length} bytes, more than the ${size} bytes of storage`)
    // The runtime saves up to its last written byte; the rest of the region is erased flash.
    const storage = new Uint8Array(size).fill(0xff)
    storage.set(saved)
    restoreProgramEnd(storage, saved.length, o.program)
    return storage
}

/**
 * The VM's flash save passes the index of the last non-erased byte as the length
 * (runtime/devicescript-vm flash_sync), so that byte itself is left out. It is the
 * program's last byte when nothing is stored after the program: put back from the
 * program, which is known. Anything else that differs is a real fault (./bundle.ts
 * reads the whole storage back and fails then).
 */
export function restoreProgramEnd(storage: Uint8Array, savedLength: number, program: Uint8Array): void {
    let offset: number | undefined
    try {
        offset = listEntries(storage)
            .filter(e => e.key === PROGRAM_KEY)
            .at(-1)?.offset
    } catch {
        return
    }
    if (offset === undefined) return
    const entry = expectedProgramEntry(program)
    if (savedLength < offset || savedLength >= offset + entry.length) return
    storage.set(entry.subarray(savedLength - offset), savedLength)
}

/** The "*prog" entry as devsmgr.c writes it: magic0, size, magic1, FNV-1a, 112 zero bytes, the image. */
export function expectedProgramEntry(program: Uint8Array): Uint8Array {
    const out = new Uint8Array(PROGRAM_HEADER_SIZE + program.length)
    const v = new DataView(out.buffer)
    v.setUint32(0, PROGRAM_MAGIC0, true)
    v.setUint32(4, program.length, true)
    v.setUint32(8, PROGRAM_MAGIC1, true)
    v.setUint32(12, fnv1a(program), true)
    out.set(program, PROGRAM_HEADER_SIZE)
    return out
}

/**
 * When a VM needs its next step. Pure.
 *
 * A step (`jd_em_process`) returns jacdac-c's `jd_max_sleep`: the least sleep any part of
 * the runtime asked for, clamped to 10 ms (JD_MIN_MAX_SLEEP) — so 10 ms whenever nothing
 * is due sooner, even when the program's next timer is a second away. Stepped at that pace,
 * an idle board costs a hundred steps a second that find nothing to do.
 *
 * The program's own timers (sleeps, `setTimeout`, keep-alives, waits with a timeout) are
 * its fibers' wake times, and the runtime tells how long until the earliest one:
 * `devs_fiber_get_max_sleep(ctx)` (the value the step clamps; it caps it at 100 ms
 * itself). So when the step says "10 ms", the next step comes when the program's next fiber
 * is due — exactly on time — but never more than IDLE_STEP_US later, so the runtime's own
 * periodic work (its Jacdac announce every 500 ms, role binding, device expiry) keeps a
 * fine pace. Whatever comes from outside — a Jacdac frame, a socket event — steps the VM at
 * once, as before.
 */

/** jacdac-c's JD_MIN_MAX_SLEEP: the most a step ever returns (µs). */
export const STEP_CLAMP_US = 10_000;

/**
 * The longest a running program's VM goes without a step (µs): the horizon of
 * `devs_fiber_get_max_sleep` itself (it never says more than 100 ms). The runtime's own
 * periodic work is at most this late: its announce, every 500 ms, within 600 ms (Jacdac
 * gives a device 1.5–2 s before it counts as gone).
 */
export const IDLE_STEP_US = 100_000;

/**
 * µs until the next step. `stepUs`: what the step returned; `fiberSleepUs`: the program's
 * next fiber wake-up, undefined when no program is running (the runtime's own pace then).
 */
export function nextStepUs(stepUs: number, fiberSleepUs: number | undefined): number {
  if (stepUs < STEP_CLAMP_US || fiberSleepUs === undefined) return stepUs;
  return Math.min(fiberSleepUs, IDLE_STEP_US);
}

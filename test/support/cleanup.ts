// The tests use the same safety net for child processes as the simulator.
export { onProcessExit, removeOnExit, tieToParent } from "@fieldlink/lib/process/children"

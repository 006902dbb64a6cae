// Extra exports on the real VM binary: the functions the step pace reads are found by
// name and exported, nothing else in the binary changes, and a missing name is refused.
import { readFileSync } from "node:fs";
import test from "ava";
import { extractVmSource, extractWasmBinary, loadVmFactory, locateCli } from "../../devs-host/bundle.js";
import { functionNames, withExtraExports } from "../../devs-host/wasm-exports.js";

interface WasmModuleApi {
  Module: { new (bytes: Uint8Array): object; exports(module: object): Array<{ name: string; kind: string }> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmModuleApi }).WebAssembly;

const binary = () => extractWasmBinary(extractVmSource(readFileSync(locateCli().bundle, "utf8")));

test("the VM binary names the functions the step pace needs", t => {
  const names = functionNames(binary());
  t.true(names.has("devsmgr_get_ctx"));
  t.true(names.has("devs_fiber_get_max_sleep"));
  t.true(names.has("jd_em_process"));
});

test("extra exports are added after the VM's own, and the rest of the binary is unchanged", t => {
  const original = binary();
  const patched = withExtraExports(original, ["devsmgr_get_ctx", "devs_fiber_get_max_sleep"]);
  const before = wasmApi.Module.exports(new wasmApi.Module(original));
  const after = wasmApi.Module.exports(new wasmApi.Module(patched));
  t.deepEqual(after.slice(0, before.length), before);
  t.deepEqual(after.slice(before.length), [
    { name: "devsmgr_get_ctx", kind: "function" },
    { name: "devs_fiber_get_max_sleep", kind: "function" },
  ]);
  // Only the export section grew: what follows it (the code, the data) is byte for byte the same.
  t.true(Buffer.from(patched).includes(Buffer.from(original.subarray(original.length - 200_000))));
});

test("a function the binary does not have is refused by name", t => {
  const error = t.throws(() => withExtraExports(binary(), ["no_such_function"]));
  t.is(error!.message, 'The VM\'s wasm binary has no function named "no_such_function".');
});

test("a VM instance has the extra exports; without a program there is no context", async t => {
  const raw = await loadVmFactory()();
  raw.devsInit();
  t.is(raw.exports.devsmgr_get_ctx(), 0);
});

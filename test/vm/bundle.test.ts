import { readFileSync } from "node:fs";
import test from "ava";
import {
  checkCliVersion,
  checkVmSource,
  extractVmSource,
  loadVmFactory,
  locateCli,
  PINNED_CLI_VERSION,
  sha256Hex,
  VM_SOURCE_SHA256,
  VmBundleError,
} from "../../devs-host/bundle.js";

const wrap = (body: string) =>
  [
    "var require_other = 1;",
    "var require_devicescript_vm = __commonJS({",
    '  "runtime/devicescript-vm/built/devicescript-vm.js"(exports, module2) {',
    body,
    "  }",
    "});",
    "",
    "// dap/built/devicescript-dap.cjs",
  ].join("\n");

test("the VM source is cut out between the module wrapper's lines", t => {
  const body = "    var Module = 1;\n    if (x) {\n      y();\n    }\n    module2.exports = Module;";
  t.is(extractVmSource(wrap(body)), body);
});

test("a bundle without the VM module is refused with the pin to use", t => {
  const error = t.throws(() => extractVmSource("var require_other = 1;\n"), { instanceOf: VmBundleError });
  t.regex(
    error!.message,
    /no longer contains the module "runtime\/devicescript-vm\/built\/devicescript-vm\.js"/,
  );
  t.regex(error!.message, /Pin "@devicescript\/cli" to exactly "2\.16\.4"/);
});

test("a VM module wrapper that appears twice or never closes is refused", t => {
  t.throws(() => extractVmSource(wrap("    a();") + wrap("    b();")), { message: /more than once/ });
  const unclosed = wrap("    a();").replace("\n  }\n});\n", "\n");
  t.throws(() => extractVmSource(unclosed), { message: /has no closing lines/ });
});

test("the installed CLI is the pinned version and its VM source has the recorded digest", t => {
  const cli = locateCli();
  t.is(cli.version, PINNED_CLI_VERSION);
  t.is(sha256Hex(extractVmSource(readFileSync(cli.bundle, "utf8"))), VM_SOURCE_SHA256);
});

test("the factory is loaded once per process and gives fresh instances", async t => {
  const factory = loadVmFactory();
  t.is(loadVmFactory(), factory);
  const [a, b] = await Promise.all([factory(), factory()]);
  t.not(a, b);
  t.not(a.HEAPU8.buffer, b.HEAPU8.buffer);
  for (const hook of [
    "devsStart",
    "devsStop",
    "devsDeploy",
    "devsSetDeviceId",
    "devsGcStress",
    "handlePacket",
  ] as const) {
    t.is(typeof a[hook], "function", hook);
  }
  t.is(typeof a._jd_em_tcpsock_on_event, "function");
});

test("another CLI version is refused, saying what changed", t => {
  t.notThrows(() => checkCliVersion("2.16.4"));
  t.throws(() => checkCliVersion("2.16.5"), {
    instanceOf: VmBundleError,
    message:
      '"@devicescript/cli" is version 2.16.5, expected 2.16.4: its bundled VM is not the one this simulator was checked against. Pin "@devicescript/cli" to exactly "2.16.4" in package.json and reinstall.',
  });
});

test("a VM source that differs by one byte is refused with both digests", t => {
  const source = extractVmSource(readFileSync(locateCli().bundle, "utf8"));
  t.notThrows(() => checkVmSource(source, "the bundle"));
  const changed = source.replace("var Module = ", "var Module =  ");
  const error = t.throws(() => checkVmSource(changed, "the bundle"), { instanceOf: VmBundleError });
  t.true(
    error!.message.startsWith(
      `The VM source in the bundle has sha256 ${sha256Hex(changed)}, expected ${VM_SOURCE_SHA256}`,
    ),
  );
  t.regex(error!.message, /Pin "@devicescript\/cli" to exactly "2\.16\.4"/);
});

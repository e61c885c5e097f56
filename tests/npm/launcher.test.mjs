// The launcher (npm/quickback-kv/bin/quickback-kv.js) on its own, with stand-in platform
// packages whose "binary" is a shell script: it runs the platform package that is
// installed without asking for the libc (process.report costs ~2 ms), asks only when
// packages for both glibc and musl are installed, and names the fix for a missing
// package in the words of the package manager that ran it (npm_config_user_agent).
// Linux x64 only (the stand-ins are Linux packages). Run by ./test.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const linuxX64 = process.platform === "linux" && process.arch === "x64";

/** A project with the launcher in node_modules and the given platform packages ("linux-x64", "linux-x64-musl"). */
function project(platforms) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qk-launcher-"));
  const main = path.join(dir, "node_modules/quickback-kv");
  cpSync(path.join(repo, "npm/quickback-kv"), main, { recursive: true });
  for (const name of platforms) {
    const pkg = path.join(dir, "node_modules/@quickback-kv", name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: `@quickback-kv/${name}`, version: "0.0.0" }));
    writeFileSync(path.join(pkg, "quickback-kv"), `#!/bin/sh\necho "ran ${name}"\n`, { mode: 0o755 });
  }
  // Records every read of process.report (the expensive libc check).
  writeFileSync(
    path.join(dir, "spy.cjs"),
    'const real = process.report; let reads = 0;\n' +
      'Object.defineProperty(process, "report", { get() { reads++; return real; } });\n' +
      'process.on("exit", () => require("node:fs").writeFileSync(__dirname + "/report-reads", String(reads)));\n',
  );
  return dir;
}

function launch(dir, userAgent) {
  const env = { ...process.env, npm_config_user_agent: userAgent };
  delete env.QUICKBACK_KV_BINARY;
  const result = spawnSync(
    process.execPath,
    ["--require", path.join(dir, "spy.cjs"), path.join(dir, "node_modules/quickback-kv/bin/quickback-kv.js"), "--version"],
    { cwd: dir, env, encoding: "utf8" },
  );
  const reads = Number(spawnSync("cat", [path.join(dir, "report-reads")], { encoding: "utf8" }).stdout);
  rmSync(dir, { recursive: true, force: true });
  return { ...result, reads };
}

test("the one installed platform package runs, and the libc is not asked", { skip: !linuxX64 }, () => {
  // Before: the libc was read first (glibc here) and the musl package was "missing".
  const musl = launch(project(["linux-x64-musl"]), "npm/11.0.0 node/v22.0.0 linux x64");
  assert.equal(musl.status, 0, musl.stderr);
  assert.equal(musl.stdout, "ran linux-x64-musl\n");
  assert.equal(musl.reads, 0, "process.report was read");

  const gnu = launch(project(["linux-x64"]), "npm/11.0.0 node/v22.0.0 linux x64");
  assert.equal(gnu.stdout, "ran linux-x64\n");
  assert.equal(gnu.reads, 0, "process.report was read");
});

test("with both glibc and musl packages installed, the libc decides", { skip: !linuxX64 }, () => {
  const both = launch(project(["linux-x64", "linux-x64-musl"]), "npm/11.0.0 node/v22.0.0 linux x64");
  assert.equal(both.status, 0, both.stderr);
  const musl = spawnSync("sh", ["-c", "ldd --version 2>&1 | grep -qi musl"]).status === 0;
  assert.equal(both.stdout, musl ? "ran linux-x64-musl\n" : "ran linux-x64\n");
  assert.ok(both.reads > 0, "the libc was asked");
});

test("a missing platform package: the fix in the words of npm, pnpm, Yarn or Bun", { skip: !linuxX64 }, () => {
  const cases = [
    ["npm/11.0.0 node/v22.0.0 linux x64", "npm install -D @quickback-kv/linux-x64@", "npm install"],
    ["pnpm/10.0.0 npm/? node/v22.0.0 linux x64", "pnpm add -D @quickback-kv/linux-x64@", "pnpm install"],
    ["yarn/4.5.0 npm/? node/v22.0.0 linux x64", "yarn add -D @quickback-kv/linux-x64@", "yarn install"],
    ["bun/1.2.0 npm/? node/v22.0.0 linux x64", "bun add -d @quickback-kv/linux-x64@", "bun install"],
  ];
  for (const [agent, add, install] of cases) {
    const result = launch(project([]), agent);
    assert.equal(result.status, 2, result.stderr);
    assert.ok(result.stderr.includes(add), `${agent}:\n${result.stderr}`);
    assert.ok(result.stderr.includes(`\`${install}\``), `${agent}:\n${result.stderr}`);
    const others = ["npm install -D", "pnpm add", "yarn add", "bun add"].filter((c) => !add.startsWith(c));
    for (const other of others) assert.ok(!result.stderr.includes(other), `${agent} names ${other}:\n${result.stderr}`);
  }
});

test("orphaned (its parent killed), the launcher stops the binary and exits", { skip: !linuxX64 }, async () => {
  const dir = project([]);
  const pkg = path.join(dir, "node_modules/@quickback-kv/linux-x64");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@quickback-kv/linux-x64", version: "0.0.0" }));
  // A stand-in for `build --watch`: runs until SIGTERM.
  writeFileSync(path.join(pkg, "quickback-kv"), "#!/bin/sh\ntrap 'exit 0' TERM\nwhile :; do sleep 0.05; done\n", { mode: 0o755 });
  const launcher = path.join(dir, "node_modules/quickback-kv/bin/quickback-kv.js");
  // The shell stays the launcher's parent and prints its pid, then is killed.
  const shell = spawn("sh", ["-c", `"${process.execPath}" "${launcher}" build --watch & echo $!; wait`], { stdio: ["ignore", "pipe", "inherit"] });
  const pid = Number(await new Promise((resolve) => shell.stdout.once("data", (d) => resolve(String(d).trim()))));
  // The orphan inherits the pipe: let go of it, so a failing test cannot hang on it.
  shell.stdout.destroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  shell.kill("SIGKILL");
  const gone = Date.now() + 60_000;
  while (alive(pid)) {
    if (Date.now() > gone) {
      process.kill(pid, "SIGKILL");
      assert.fail("the orphaned launcher still runs");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Running, and not a zombie waiting to be reaped. */
function alive(pid) {
  const stat = spawnSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" }).stdout;
  return stat !== "" && !/\) Z /.test(stat);
}

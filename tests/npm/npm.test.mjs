// The npm packages as a TypeScript team installs them: `npm/assemble.mjs` assembles
// the main package and the linux-x64 (glibc) platform package from the binary
// `cargo test` built (QK_BIN; the package content does not need release speed),
// `npm pack` packs them, and npm and pnpm (pinned in tests/package.json) install the
// tarballs into fresh projects made from `example/`.
//
// The projects depend on `quickback-kv` only, as a team would. The platform package
// reaches them the way it does from the registry, as the main package's optional
// dependency, through an override that maps `@quickback-kv/linux-x64` to its local
// tarball (npm `overrides`, pnpm `overrides` in pnpm-workspace.yaml): nothing is
// published, and the other platforms' packages are looked up in the registry and
// skipped as usual. Run by ./test.sh.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installWithNpm, PLATFORM_PACKAGE, packPackages } from "./packages.mjs";
import { tool } from "./python.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const bin = process.env.QK_BIN ?? path.join(repo, "target/debug/quickback-kv");
const work = path.join(repo, "tests/.tmp/npm");
const nodeBin = path.join(repo, "tests/node_modules/.bin");
const OUTPUTS = ["wrangler.toml", "src/env.d.ts", "src/lib/kv-session-storage.ts"];
const CONFIG = "quickback/quickback.config.ts";

// Node 22, npm and pnpm from tests/node_modules first; caches inside the work directory.
const env = {
  ...process.env,
  PATH: `${nodeBin}${path.delimiter}${process.env.PATH}`,
  npm_config_cache: path.join(work, "npm-cache"),
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};
delete env.QUICKBACK_KV_BINARY;
delete env.KV_NAMESPACE_ID;

let version;
let tarballs;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", env, timeout: 300_000, ...options });
  assert.equal(result.error, undefined, `cannot run ${command}: ${result.error}`);
  return result;
}

function ok(command, args, options) {
  const result = run(command, args, options);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** A copy of `example/` without its generated outputs, so `build` writes them. */
function exampleCopy(name) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(repo, "example"), dir, { recursive: true });
  for (const output of OUTPUTS.slice(1)) rmSync(path.join(dir, output));
  return dir;
}

/** A project around `example/` that depends on the packed `quickback-kv`, installed by npm. */
function npmProject(name, extraArgs = []) {
  const dir = exampleCopy(name);
  installWithNpm(dir, name, tarballs, ok, extraArgs);
  return dir;
}

before(() => {
  assert.ok(existsSync(bin), `no binary at ${bin}: run cargo build first`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const packed = packPackages(work, bin, ok);
  const packages = path.join(work, "packages");
  assert.deepEqual(packed.assembled, [path.join(packages, "quickback-kv"), path.join(packages, "linux-x64-gnu")]);
  tarballs = packed.tarballs;
  version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(repo, "Cargo.toml"), "utf8"))[1];
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the packages: Biome's layout, no install scripts, no runtime dependencies", () => {
  const main = JSON.parse(readFileSync(path.join(work, "packages/quickback-kv/package.json"), "utf8"));
  assert.equal(main.version, version, "the version comes from Cargo.toml");
  assert.equal(main.scripts, undefined, "no install scripts");
  assert.equal(main.dependencies, undefined, "no runtime dependencies");
  assert.deepEqual(main.bin, { "quickback-kv": "bin/quickback-kv.js" });
  assert.deepEqual(main.optionalDependencies, {
    "@quickback-kv/linux-x64": version,
    "@quickback-kv/linux-arm64": version,
    "@quickback-kv/linux-x64-musl": version,
    "@quickback-kv/darwin-x64": version,
    "@quickback-kv/darwin-arm64": version,
    "@quickback-kv/win32-x64": version,
  });
  const platform = JSON.parse(readFileSync(path.join(work, "packages/linux-x64-gnu/package.json"), "utf8"));
  assert.equal(platform.name, PLATFORM_PACKAGE);
  assert.equal(platform.version, version);
  assert.deepEqual([platform.os, platform.cpu, platform.libc], [["linux"], ["x64"], ["glibc"]]);
  assert.equal(platform.scripts, undefined);
  // What the tarballs hold.
  const list = (tgz) => ok("tar", ["-tzf", tgz]).stdout.trim().split("\n").sort();
  assert.deepEqual(list(tarballs.main), [
    "package/README.md",
    "package/bin/quickback-kv.js",
    "package/package.json",
    "package/platforms.json",
  ]);
  assert.deepEqual(list(tarballs.platform), ["package/README.md", "package/package.json", "package/quickback-kv"]);
});

test("npm: `npx quickback-kv build` writes what the cargo-built binary writes; `check` exits 0 fresh, 1 stale", () => {
  const project = npmProject("npm-project");
  const lock = JSON.parse(readFileSync(path.join(project, "package-lock.json"), "utf8"));
  assert.ok(lock.packages[`node_modules/${PLATFORM_PACKAGE}`].optional, "installed as the optional dependency");
  assert.equal(lock.packages["node_modules/@quickback-kv/darwin-arm64"], undefined, "other platforms skipped");

  const viaNpx = ok("npx", ["quickback-kv", "build"], { cwd: project });
  const reference = exampleCopy("cargo-built");
  const direct = ok(bin, ["build"], { cwd: reference });
  assert.equal(viaNpx.stdout, direct.stdout, "the same summary");
  assert.match(viaNpx.stdout, /^created {3}src\/env\.d\.ts$/m);
  for (const output of OUTPUTS) {
    assert.equal(
      readFileSync(path.join(project, output), "utf8"),
      readFileSync(path.join(reference, output), "utf8"),
      `${output} is identical`,
    );
  }

  const fresh = run("npx", ["quickback-kv", "check"], { cwd: project });
  assert.equal(fresh.status, 0, fresh.stderr);
  const config = path.join(project, CONFIG);
  writeFileSync(config, readFileSync(config, "utf8").replaceAll("0f2ac74b498b48028cb68387c421e279", "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c"));
  const stale = run("npx", ["quickback-kv", "check"], { cwd: project });
  assert.equal(stale.status, 1, `stale outputs: exit 1\n${stale.stdout}\n${stale.stderr}`);
  assert.match(stale.stdout, /\+id = "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c"/);
  // Exit code 2 and arguments pass through too.
  const bad = run("npx", ["quickback-kv", "build", "--no-such-flag"], { cwd: project });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--no-such-flag/);
});

test("pnpm: the same packages installed with pnpm; `pnpm exec quickback-kv build` and `npx` both work", () => {
  const project = exampleCopy("pnpm-project");
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "pnpm-project", private: true }, null, 2));
  writeFileSync(
    path.join(project, "pnpm-workspace.yaml"),
    `overrides:\n  "${PLATFORM_PACKAGE}": "file:${tarballs.platform}"\n`,
  );
  ok("pnpm", ["add", "--save-dev", "--reporter=silent", `--store-dir=${path.join(work, "pnpm-store")}`, tarballs.main], { cwd: project });
  // pnpm's isolated layout: the platform package is a sibling of the main package only.
  assert.ok(!existsSync(path.join(project, "node_modules", PLATFORM_PACKAGE)), "not hoisted to the top");

  const built = ok("pnpm", ["exec", "quickback-kv", "build"], { cwd: project });
  const reference = exampleCopy("cargo-built-for-pnpm");
  assert.equal(built.stdout, ok(bin, ["build"], { cwd: reference }).stdout);
  for (const output of OUTPUTS) {
    assert.equal(readFileSync(path.join(project, output), "utf8"), readFileSync(path.join(reference, output), "utf8"));
  }
  assert.equal(run("npx", ["quickback-kv", "check"], { cwd: project }).status, 0);
});

test("--omit=optional: the shim names the missing package, says why and how to fix it", () => {
  const project = npmProject("npm-omit-optional", ["--omit=optional"]);
  assert.ok(!existsSync(path.join(project, "node_modules", PLATFORM_PACKAGE)));
  const result = run("npx", ["quickback-kv", "build"], { cwd: project });
  assert.equal(result.status, 2, "the tool failed: exit 2");
  assert.equal(result.stdout, "");
  assert.match(result.stderr, new RegExp(`the package ${PLATFORM_PACKAGE}@${version.replaceAll(".", "\\.")} is not installed`));
  assert.match(result.stderr, /--omit=optional/);
  assert.match(result.stderr, /lockfile made on another OS or CPU/);
  assert.ok(result.stderr.includes(`npm install -D ${PLATFORM_PACKAGE}@${version}`), result.stderr);
  assert.ok(!existsSync(path.join(project, "src/env.d.ts")), "nothing was written");

  // A lockfile made on macOS brings that platform's package: the message says so. (npm
  // installs a package for another OS only with --force; the binary is never run.)
  const fake = path.join(work, "fake-binary");
  writeFileSync(fake, "not a binary\n");
  const other = path.join(work, "other-platform");
  ok("node", [path.join(repo, "npm/assemble.mjs"), "--out", other, "--binary", `darwin-arm64=${fake}`]);
  const darwin = path.join(
    work,
    JSON.parse(ok("npm", ["pack", "--json", "--pack-destination", work], { cwd: path.join(other, "darwin-arm64") }).stdout)[0]
      .filename,
  );
  ok("npm", ["install", "--force", "--no-save", "--omit=optional", "--loglevel=error", darwin], { cwd: project });
  const wrongOs = run("npx", ["quickback-kv", "build"], { cwd: project });
  assert.equal(wrongOs.status, 2);
  assert.match(wrongOs.stderr, /Installed instead: @quickback-kv\/darwin-arm64\. The lockfile was most likely made on another OS or CPU/);
  assert.ok(wrongOs.stderr.includes(`npm install -D ${PLATFORM_PACKAGE}@${version}`));

  // QUICKBACK_KV_BINARY runs another binary instead.
  const override = run("npx", ["quickback-kv", "build", "--quiet"], {
    cwd: project,
    env: { ...env, QUICKBACK_KV_BINARY: bin },
  });
  assert.equal(override.status, 0, override.stderr);
  assert.ok(existsSync(path.join(project, "src/env.d.ts")));
  const missing = run("npx", ["quickback-kv", "--version"], {
    cwd: project,
    env: { ...env, QUICKBACK_KV_BINARY: path.join(project, "no-such-binary") },
  });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /QUICKBACK_KV_BINARY is set to .*no-such-binary, which does not exist/);
});

test("pre-commit: the quickback-kv-check hook of .pre-commit-hooks.yaml passes fresh outputs, fails stale ones", () => {
  const preCommit = tool("pre-commit");
  // The hook pins the npm package of the same version as this repository.
  const hooks = readFileSync(path.join(repo, ".pre-commit-hooks.yaml"), "utf8");
  assert.match(hooks, new RegExp(`additional_dependencies: \\["quickback-kv@${version.replaceAll(".", "\\.")}"\\]`));
  assert.equal(JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")).version, version);

  const git = (cwd, ...args) => ok("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd });
  // The hook repository: this repository's hook files, committed.
  const hookRepo = path.join(work, "hook-repo");
  mkdirSync(hookRepo);
  for (const file of [".pre-commit-hooks.yaml", "package.json"]) cpSync(path.join(repo, file), path.join(hookRepo, file));
  git(hookRepo, "init", "-q");
  git(hookRepo, "add", ".");
  git(hookRepo, "commit", "-qm", "hooks");
  const rev = git(hookRepo, "rev-parse", "HEAD").stdout.trim();

  // A project that uses it, on the machine's Node (language_version: system). The npm
  // package is not published, so additional_dependencies name the local tarballs.
  const project = path.join(work, "pre-commit-project");
  cpSync(path.join(repo, "example"), project, { recursive: true });
  writeFileSync(
    path.join(project, ".pre-commit-config.yaml"),
    `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: quickback-kv-check\n` +
      `        language_version: system\n` +
      `        additional_dependencies: ["${tarballs.main}", "${tarballs.platform}"]\n`,
  );
  git(project, "init", "-q");
  git(project, "add", ".");
  const hookEnv = { ...env, PRE_COMMIT_HOME: path.join(work, "pre-commit-home") };
  const fresh = run(preCommit, ["run", "--all-files", "--color=never"], { cwd: project, env: hookEnv });
  assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);
  assert.match(fresh.stdout, /quickback-kv check\.+Passed/);

  const config = path.join(project, CONFIG);
  writeFileSync(config, readFileSync(config, "utf8").replaceAll("0f2ac74b498b48028cb68387c421e279", "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c"));
  git(project, "add", ".");
  const stale = run(preCommit, ["run", "--all-files", "--color=never"], { cwd: project, env: hookEnv });
  assert.equal(stale.status, 1, stale.stdout + stale.stderr);
  assert.match(stale.stdout, /quickback-kv check\.+Failed/);
  assert.match(stale.stdout, /\+id = "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c"/);

  // Only the files the hook cares about start it.
  writeFileSync(path.join(project, "notes.md"), "notes\n");
  git(project, "add", "notes.md");
  const unrelated = run(preCommit, ["run", "--files", "notes.md", "--color=never"], { cwd: project, env: hookEnv });
  assert.equal(unrelated.status, 0, unrelated.stdout + unrelated.stderr);
  assert.match(unrelated.stdout, /quickback-kv check\.+\(no files to check\)Skipped/);

  // The auth module starts it too (a commit that drops only the wiring is checked).
  writeFileSync(path.join(project, "src/lib/auth.ts"), "export {};\n");
  git(project, "add", "src/lib/auth.ts");
  const auth = run(preCommit, ["run", "--files", "src/lib/auth.ts", "--color=never"], { cwd: project, env: hookEnv });
  assert.equal(auth.status, 1, auth.stdout + auth.stderr);
  assert.match(auth.stdout, /quickback-kv check\.+Failed/);
});

// ---- the size of the platform package --------------------------------------------

// A release binary takes a full LTO build (about 30 min on the 2-core test machine), more
// than the rest of ./test.sh, so the suite's own debug binary cannot show the size; the
// release workflow checks every published linux-x64 package with npm/package-size.mjs.
// Given a release binary (QK_RELEASE_BIN=target/release/quickback-kv), this test
// assembles it and checks the same limit.
test("the linux-x64 platform package from a release binary is at most 6 MB unpacked", (t) => {
  const release = process.env.QK_RELEASE_BIN;
  if (!release) {
    t.skip("QK_RELEASE_BIN is not set (a release build of quickback-kv)");
    return;
  }
  const out = path.join(work, "release-packages");
  ok("node", [path.join(repo, "npm/assemble.mjs"), "--out", out, "--binary", `linux-x64-gnu=${release}`]);
  const size = Number(ok("node", [path.join(repo, "npm/package-size.mjs"), path.join(out, "linux-x64-gnu"), "6000000"]).stdout);
  assert.ok(size > 1_000_000 && size <= 6_000_000, `${size} bytes`);
});

// ---- the README's package.json scripts in a Quickback-shaped app -------------------

/** The `scripts` of the README's package.json block (the first ```json block after "## Scripts"). */
function readmeScripts() {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const from = readme.indexOf("\n## Scripts");
  assert.ok(from >= 0, "README has a Scripts section");
  const start = readme.indexOf("```json\n", from) + "```json\n".length;
  return JSON.parse(readme.slice(start, readme.indexOf("```\n", start))).scripts;
}

/**
 * A Quickback app (fixtures/valid-auth-module-quickback: Quickback's wrangler.toml and
 * src/lib/auth.ts) with its own `build`, the README's scripts added, quickback-kv and a
 * stand-in for `@quickback-dev/cli` (tests/npm/quickback-cli-stub) as dev dependencies.
 */
function quickbackApp(name) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(repo, "fixtures/valid-auth-module-quickback/input"), dir, { recursive: true });
  const scripts = { build: "node -e \"require('fs').writeFileSync('app-built', 'yes')\"", ...readmeScripts() };
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, scripts }, null, 2));
  return dir;
}

function checkScripts(pm, dir) {
  const scripts = readmeScripts();
  // Yarn Berry runs no pre/post scripts; the app's own build stays its own.
  assert.deepEqual(Object.keys(scripts).filter((s) => /^(pre|post)/.test(s)), []);
  assert.equal(scripts.build, undefined, "the block leaves the app's build alone");
  const scriptEnv = { ...env, QUICKBACK_STUB_OUTPUT: path.join(repo, "fixtures/valid-auth-module-quickback/input") };
  const auth = () => readFileSync(path.join(dir, "src/lib/auth.ts"), "utf8");

  // Quickback compiles (the wiring is gone), then quickback-kv builds (it is back).
  const quickback = ok(pm, ["run", "quickback"], { cwd: dir, env: scriptEnv });
  assert.match(quickback.stdout, /quickback: compiled/);
  assert.match(auth(), /kvSecondaryStorage\(env\)/, `${pm} run quickback wires sessions:\n${quickback.stdout}`);
  assert.equal(ok(pm, ["run", "kv:check"], { cwd: dir, env: scriptEnv }).status, 0);

  // quickback-kv alone, after something else (a hand edit) undid its work.
  writeFileSync(path.join(dir, "src/lib/auth.ts"), readFileSync(path.join(scriptEnv.QUICKBACK_STUB_OUTPUT, "src/lib/auth.ts")));
  assert.equal(run(pm, ["run", "kv:check"], { cwd: dir, env: scriptEnv }).status, 1, "stale: check fails");
  ok(pm, ["run", "kv"], { cwd: dir, env: scriptEnv });
  assert.match(auth(), /kvSecondaryStorage\(env\)/);

  // The app's own build still runs.
  ok(pm, ["run", "build"], { cwd: dir, env: scriptEnv });
  assert.equal(readFileSync(path.join(dir, "app-built"), "utf8"), "yes");
}

test("README scripts: `quickback`, `kv`, `kv:check` and the app's own `build` run in a Quickback app with npm", () => {
  const dir = quickbackApp("scripts-npm");
  const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  pkg.overrides = { [PLATFORM_PACKAGE]: `file:${tarballs.platform}` };
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  ok("npm", ["install", "--save-dev", "--loglevel=error", tarballs.main, path.join(repo, "tests/npm/quickback-cli-stub")], { cwd: dir });
  checkScripts("npm", dir);
});

test("README scripts: the same with pnpm", () => {
  const dir = quickbackApp("scripts-pnpm");
  writeFileSync(path.join(dir, "pnpm-workspace.yaml"), `overrides:\n  "${PLATFORM_PACKAGE}": "file:${tarballs.platform}"\n`);
  ok(
    "pnpm",
    ["add", "--save-dev", "--reporter=silent", `--store-dir=${path.join(work, "pnpm-store")}`, tarballs.main, `file:${path.join(repo, "tests/npm/quickback-cli-stub")}`],
    { cwd: dir },
  );
  checkScripts("pnpm", dir);
});

// ---- the language server and signals through the shim --------------------------------

/** Content-Length framed JSON-RPC over the child's stdio. */
function lspClient(child) {
  let buffer = Buffer.alloc(0);
  const waiting = [];
  const messages = [];
  child.stdout.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
      if (buffer.length < end + 4 + length) return;
      messages.push(JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString()));
      buffer = buffer.subarray(end + 4 + length);
      for (const w of waiting.splice(0)) w();
    }
  });
  const send = (message) => {
    const body = JSON.stringify({ jsonrpc: "2.0", ...message });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const response = async (id) => {
    for (;;) {
      const found = messages.find((m) => m.id === id && !("method" in m));
      if (found) return found;
      await new Promise((resolve) => waiting.push(resolve));
    }
  };
  return { send, response };
}

const exited = (child) =>
  new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

/** The pids of a process's children (Linux). */
function childPids(pid) {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** Whether a pid is a live process (not gone, not a zombie). */
function alive(pid) {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

test("lsp through the shim: initialize, shutdown, exit 0", { timeout: 60_000 }, async () => {
  const project = path.join(work, "npm-project");
  const child = spawn(path.join(project, "node_modules/.bin/quickback-kv"), ["lsp"], { cwd: project, env });
  const done = exited(child);
  const lsp = lspClient(child);
  lsp.send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
  const init = await lsp.response(1);
  assert.equal(init.result.serverInfo.name, "quickback-kv");
  lsp.send({ method: "initialized", params: {} });
  lsp.send({ id: 2, method: "shutdown" });
  assert.equal((await lsp.response(2)).result, null);
  lsp.send({ method: "exit" });
  assert.deepEqual(await done, { code: 0, signal: null });
});

test("signals: SIGTERM to the shim reaches the server, and the shim dies of it too", { timeout: 60_000 }, async () => {
  const project = path.join(work, "npm-project");
  const shim = spawn(path.join(project, "node_modules/.bin/quickback-kv"), ["lsp"], { cwd: project, env });
  const done = exited(shim);
  const lsp = lspClient(shim);
  lsp.send({ id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } });
  await lsp.response(1);
  const [server] = childPids(shim.pid);
  assert.ok(server && alive(server), "the binary runs as the shim's child");
  assert.match(readFileSync(`/proc/${server}/cmdline`, "utf8"), /quickback-kv\0lsp/);

  shim.kill("SIGTERM");
  // The server waits on stdin, which the test keeps open: only the forwarded signal ends it.
  assert.deepEqual(await done, { code: null, signal: "SIGTERM" });
  while (alive(server)) await new Promise((resolve) => setTimeout(resolve, 20));
  shim.stdin.end();
});

test("signals: Ctrl-C (SIGINT) to the shim stops `build --watch` with exit 0", { timeout: 60_000 }, async () => {
  const project = path.join(work, "npm-project");
  const shim = spawn(path.join(project, "node_modules/.bin/quickback-kv"), ["build", "--watch", "--quiet"], {
    cwd: project,
    env,
  });
  const done = exited(shim);
  let stderr = "";
  await new Promise((resolve) => {
    shim.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (stderr.includes("watching for changes")) resolve();
    });
  });
  shim.kill("SIGINT");
  assert.deepEqual(await done, { code: 0, signal: null }, stderr);
});

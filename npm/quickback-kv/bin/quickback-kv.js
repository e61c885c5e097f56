#!/usr/bin/env node
// The `quickback-kv` command of the npm package: finds the native binary of this
// platform (installed as one of the optional dependencies `@quickback-kv/<os>-<cpu>[-musl]`)
// and runs it with the same arguments, stdio, exit code and signals. The installed
// platform package is used as found; the libc is read (process.report, ~2 ms) only
// when packages for both glibc and musl are installed. Fixes for a missing package
// are written for the package manager in npm_config_user_agent (npm, pnpm, Yarn, Bun).
// QUICKBACK_KV_BINARY=/path/to/quickback-kv runs that binary instead.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const PLATFORMS = require("../platforms.json");
const { version } = require("../package.json");
const EXIT_FAILURE = 2; // quickback-kv's "the tool failed"

function fail(message) {
  process.stderr.write(`quickback-kv: ${message.trimEnd()}\n`);
  process.exit(EXIT_FAILURE);
}

/** glibc or musl; only asked when packages for both are installed, or to name a missing one. */
function libc() {
  if (process.platform !== "linux") return undefined;
  try {
    if (process.report) {
      process.report.excludeNetwork = true;
      const header = process.report.getReport().header;
      return header.glibcVersionRuntime ? "glibc" : "musl";
    }
  } catch {
    // fall through to the file check
  }
  return fs.existsSync("/etc/alpine-release") ? "musl" : "glibc";
}

/** The keys of platforms.json for this OS and CPU (both libcs on Linux). */
function candidates() {
  return Object.keys(PLATFORMS).filter((key) => PLATFORMS[key].os === process.platform && PLATFORMS[key].cpu === process.arch);
}

/** Of several keys, the one for this machine's libc (or the only one). */
function byLibc(keys) {
  if (keys.length <= 1) return keys[0];
  const c = libc();
  return keys.find((key) => PLATFORMS[key].libc === undefined || PLATFORMS[key].libc === c);
}

/** The directory of an installed package, or undefined. */
function packageDir(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The package manager that runs this (npm_config_user_agent: `pnpm/9.1.0 npm/? node/…`), npm if unknown. */
function packageManager() {
  const agent = process.env.npm_config_user_agent ?? "";
  return ["pnpm", "yarn", "bun"].find((pm) => agent.startsWith(`${pm}/`)) ?? "npm";
}

/** How each package manager adds a dev dependency. */
const ADD = { npm: "npm install -D", pnpm: "pnpm add -D", yarn: "yarn add -D", bun: "bun add -d" };

function addCommand(pm, pkg) {
  return `${ADD[pm]} ${pkg}@${version}`;
}

/** The commands that fix a missing platform package, in the words of the package manager. */
function fixes(pm, pkg) {
  const add = `add the platform package explicitly: \`${addCommand(pm, pkg)}\`;`;
  switch (pm) {
    case "pnpm":
      return [
        "install again with optional dependencies: `pnpm install` (without --no-optional);",
        "  for a lockfile from another platform, list this one under `supportedArchitectures` in pnpm-workspace.yaml;",
        add,
      ];
    case "yarn":
      return [
        "install again with optional dependencies: `yarn install`;",
        "  for a lockfile from another platform, list this one under `supportedArchitectures` in .yarnrc.yml;",
        add,
      ];
    case "bun":
      return [
        "install again with optional dependencies: `bun install` (without --omit=optional);",
        add,
      ];
    default:
      return [
        "install again with optional dependencies: `npm install` (without --omit=optional);",
        "  if the lockfile came from another platform: `rm -rf node_modules package-lock.json && npm install`;",
        add,
      ];
  }
}

function missingPackage(key) {
  const platform = PLATFORMS[key];
  const others = Object.keys(PLATFORMS)
    .filter((k) => k !== key && packageDir(PLATFORMS[k].package))
    .map((k) => PLATFORMS[k].package);
  const why =
    others.length > 0
      ? `Installed instead: ${others.join(", ")}. The lockfile was most likely made on another OS or CPU,\n` +
        "and the package manager kept that platform's package only."
      : "Optional dependencies were left out of the install. Usual causes:\n" +
        "  - installed with `npm install --omit=optional` (or `--no-optional`, the npm config `omit=optional`,\n" +
        "    `pnpm install --no-optional`, `yarn --ignore-optional`);\n" +
        "  - a lockfile made on another OS or CPU, which lists only that platform's package.";
  const steps = fixes(packageManager(), platform.package).map((line) => (line.startsWith(" ") ? `  ${line}` : `  - ${line}`));
  fail(
    `no binary for ${key}: the package ${platform.package}@${version} is not installed.\n\n` +
      `quickback-kv installs its native binary through an optional dependency per platform;\n` +
      `${platform.package} is the one for this machine (${process.platform} ${process.arch}${
        platform.libc ? ` ${platform.libc}` : ""
      }).\n${why}\n\n` +
      "How to fix it, any one of:\n" +
      `${steps.join("\n")}\n` +
      "  - set QUICKBACK_KV_BINARY to the path of a quickback-kv binary.",
  );
}

function binaryPath() {
  const override = process.env.QUICKBACK_KV_BINARY;
  if (override) {
    if (!fs.existsSync(override)) {
      fail(`QUICKBACK_KV_BINARY is set to ${override}, which does not exist`);
    }
    return override;
  }
  // The installed platform package first: the package manager already chose it by
  // os/cpu/libc, so the libc is asked only when packages for both are installed.
  const keys = candidates();
  const installed = keys.filter((k) => packageDir(PLATFORMS[k].package) !== undefined);
  const key = byLibc(installed.length > 0 ? installed : keys);
  if (key === undefined) {
    const supported = Object.keys(PLATFORMS).join(", ");
    fail(
      `no prebuilt binary for ${process.platform} ${process.arch}${libc() ? ` (${libc()})` : ""}.\n` +
        `Prebuilt binaries exist for: ${supported}.\n` +
        "Build one from source (`cargo build --release`, Rust 1.95) and set QUICKBACK_KV_BINARY to its path.",
    );
  }
  const platform = PLATFORMS[key];
  const dir = packageDir(platform.package);
  if (dir === undefined) missingPackage(key);
  const binary = path.join(dir, platform.binary);
  if (!fs.existsSync(binary)) {
    fail(
      `${platform.package} is installed at ${dir} but has no ${platform.binary}; reinstall it:\n` +
        `  ${addCommand(packageManager(), platform.package)}`,
    );
  }
  return binary;
}

function run() {
  const binary = binaryPath();
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: false });

  // Signals sent to this process (a `kill`, a supervisor, a CI runner cancelling a job)
  // go on to the binary; the shim exits when the binary does.
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, forward);
  // When the process that started this one goes away without a signal (npm killed with
  // SIGTERM does not pass it on), this launcher is orphaned; the binary is told to stop,
  // as Ctrl-C would (`build --watch` would otherwise run on). process.ppid is re-read.
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid !== parent) forward("SIGTERM");
  }, 500);
  orphaned.unref();

  child.on("error", (error) => {
    fail(`cannot run ${binary}: ${error.message}`);
  });
  child.on("exit", (code, signal) => {
    for (const s of forwarded) process.removeListener(s, forward);
    clearInterval(orphaned);
    if (signal) {
      // Die of the same signal, so a caller sees what the binary saw.
      process.kill(process.pid, signal);
      // Signals that do not end a Node process by default: the shell's convention.
      setTimeout(() => process.exit(128 + (require("node:os").constants.signals[signal] ?? 1)), 100);
      return;
    }
    process.exit(code ?? EXIT_FAILURE);
  });
}

run();

#!/usr/bin/env node
// Assembles the npm packages from built binaries, with the version in Cargo.toml:
//   <out>/quickback-kv/            the main package (launcher, optionalDependencies on every platform)
//   <out>/<platform>/              one package per binary given, e.g. <out>/linux-x64-gnu/
//
//   node npm/assemble.mjs --out DIR [--binary PLATFORM=PATH]...
//
// PLATFORM is a key of npm/quickback-kv/platforms.json (linux-x64-gnu, linux-arm64-gnu,
// linux-x64-musl, darwin-x64, darwin-arm64, win32-x64). The main package always lists
// every platform, so it can be published once the release workflow has built all of them.
// Nothing is published here: `npm pack` or `npm publish` each directory afterwards.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const main = path.join(here, "quickback-kv");
const platforms = JSON.parse(readFileSync(path.join(main, "platforms.json"), "utf8"));

function usage(message) {
  console.error(`assemble: ${message}\nusage: node npm/assemble.mjs --out DIR [--binary PLATFORM=PATH]...`);
  console.error(`platforms: ${Object.keys(platforms).join(", ")}`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { out: undefined, binaries: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--out" && value) {
      args.out = path.resolve(value);
      i++;
    } else if (argv[i] === "--binary" && value) {
      const eq = value.indexOf("=");
      if (eq < 0) usage(`--binary wants PLATFORM=PATH, got ${value}`);
      const key = value.slice(0, eq);
      if (!(key in platforms)) usage(`unknown platform ${key}`);
      const file = path.resolve(value.slice(eq + 1));
      if (!existsSync(file)) usage(`no binary at ${file}`);
      args.binaries.push({ key, file });
      i++;
    } else {
      usage(`unexpected argument ${argv[i]}`);
    }
  }
  if (!args.out) usage("--out is required");
  return args;
}

/** `version` of the `[package]` table of Cargo.toml. */
function cargoVersion() {
  const toml = readFileSync(path.join(repo, "Cargo.toml"), "utf8");
  const section = toml.split(/^\[/m).find((s) => s.startsWith("package]"));
  const match = section && section.match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) usage("no version in Cargo.toml's [package]");
  return match[1];
}

function writeJson(file, value) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function assembleMain(out, version) {
  const dir = path.join(out, "quickback-kv");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "bin"), { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(main, "package.json"), "utf8"));
  manifest.version = version;
  manifest.optionalDependencies = Object.fromEntries(
    Object.values(platforms).map((p) => [p.package, version]),
  );
  writeJson(path.join(dir, "package.json"), manifest);
  for (const file of ["bin/quickback-kv.js", "platforms.json", "README.md"]) {
    copyFileSync(path.join(main, file), path.join(dir, file));
  }
  chmodSync(path.join(dir, "bin/quickback-kv.js"), 0o755);
  return dir;
}

function assemblePlatform(out, version, key, binary) {
  const p = platforms[key];
  const dir = path.join(out, key);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: p.package,
    version,
    description: `The quickback-kv binary for ${p.os} ${p.cpu}${p.libc ? ` (${p.libc})` : ""}; installed by the quickback-kv package`,
    license: "MIT",
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    files: [p.binary],
    preferUnplugged: true,
  };
  writeJson(path.join(dir, "package.json"), manifest);
  writeFileSync(
    path.join(dir, "README.md"),
    `# ${p.package}\n\nThe \`quickback-kv\` binary for ${p.os} ${p.cpu}${p.libc ? ` (${p.libc})` : ""} (Rust target \`${p.target}\`).\n` +
      "Install the `quickback-kv` package instead; it picks this one on this platform.\n",
  );
  copyFileSync(binary, path.join(dir, p.binary));
  chmodSync(path.join(dir, p.binary), 0o755);
  return dir;
}

const args = parseArgs(process.argv.slice(2));
const version = cargoVersion();
mkdirSync(args.out, { recursive: true });
console.log(assembleMain(args.out, version));
for (const { key, file } of args.binaries) {
  console.log(assemblePlatform(args.out, version, key, file));
}

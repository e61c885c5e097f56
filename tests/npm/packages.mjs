// The npm packages as the registry would serve them, made from a local binary:
// `npm/assemble.mjs` assembles the main package and the linux-x64 (glibc) platform
// package, `npm pack` packs them. `installWithNpm` installs them into a project the way
// a team does (a dev dependency on `quickback-kv` only; the platform package arrives as
// its optional dependency through an npm override to the local tarball). Shared by
// tests/npm/npm.test.mjs and tests/editor/vscode.test.mjs.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PLATFORM_PACKAGE = "@quickback-kv/linux-x64";

/**
 * Assembles and packs the packages under `work` from `bin`; `ok(command, args, options)`
 * runs a command and fails the test unless it exits 0. Returns the package directories
 * and the tarballs.
 */
export function packPackages(work, bin, ok) {
  const packages = path.join(work, "packages");
  const assembled = ok("node", [path.join(repo, "npm/assemble.mjs"), "--out", packages, "--binary", `linux-x64-gnu=${bin}`])
    .stdout.trim()
    .split("\n");
  const packs = path.join(work, "packs");
  mkdirSync(packs, { recursive: true });
  const pack = (dir) =>
    path.join(packs, JSON.parse(ok("npm", ["pack", "--json", "--pack-destination", packs], { cwd: dir }).stdout)[0].filename);
  return { assembled, tarballs: { main: pack(assembled[0]), platform: pack(assembled[1]) } };
}

/** Writes a package.json named `name` into `dir` and installs the packed `quickback-kv` with npm. */
export function installWithNpm(dir, name, tarballs, ok, extraArgs = []) {
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, private: true, overrides: { [PLATFORM_PACKAGE]: `file:${tarballs.platform}` } }, null, 2),
  );
  ok("npm", ["install", "--save-dev", "--loglevel=error", ...extraArgs, tarballs.main], { cwd: dir });
}

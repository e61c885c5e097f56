// User-facing speed: `quickback-kv build` on example/ the four ways a user runs it (the
// raw binary, node_modules/.bin, `npm run`, `npx`), each against `wrangler types` run the
// same way on the same project, in interleaved rounds; prints a Markdown table of medians.
//
//   cargo build --release && QK_BIN=target/release/quickback-kv node benches/npm-speed.mjs
//
// The packages are assembled from QK_BIN (npm/assemble.mjs), packed and installed with
// the npm of tests/node_modules (run `npm ci --prefix tests` first) into a copy of
// example/; wrangler is the pinned one of tests/node_modules, linked into the project.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.resolve(process.env.QK_BIN ?? path.join(repo, "target/release/quickback-kv"));
const rounds = Number(process.env.ROUNDS ?? 9);
const nodeBin = path.join(repo, "tests/node_modules/.bin");
const work = mkdtempSync(path.join(os.tmpdir(), "qk-npm-speed-"));
const env = {
  ...process.env,
  PATH: `${nodeBin}${path.delimiter}${process.env.PATH}`,
  npm_config_cache: path.join(work, "npm-cache"),
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  WRANGLER_SEND_METRICS: "false",
};
delete env.KV_NAMESPACE_ID;
delete env.QUICKBACK_KV_BINARY;

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { env, encoding: "utf8", ...opts });

// Packages, packed, installed.
const packages = path.join(work, "packages");
const [main, platform] = sh("node", [path.join(repo, "npm/assemble.mjs"), "--out", packages, "--binary", `linux-x64-gnu=${bin}`]).trim().split("\n");
const pack = (dir) => path.join(work, JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", work], { cwd: dir }))[0].filename);
const tarballs = { main: pack(main), platform: pack(platform) };
const project = path.join(work, "project");
cpSync(path.join(repo, "example"), project, { recursive: true });
writeFileSync(
  path.join(project, "package.json"),
  JSON.stringify(
    {
      name: "speed",
      private: true,
      scripts: { kv: "quickback-kv build --quiet", types: "wrangler types" },
      overrides: { "@quickback-kv/linux-x64": `file:${tarballs.platform}` },
    },
    null,
    2,
  ),
);
sh("npm", ["install", "--save-dev", "--loglevel=error", tarballs.main], { cwd: project });
symlinkSync(path.join(repo, "tests/node_modules/wrangler"), path.join(project, "node_modules/wrangler"));
symlinkSync("../wrangler/bin/wrangler.js", path.join(project, "node_modules/.bin/wrangler"));
const wranglerJs = path.join(project, "node_modules/wrangler/bin/wrangler.js");

const ways = [
  ["raw binary", [bin, ["build", "--quiet"]], ["node", [wranglerJs, "types"]]],
  ["`node_modules/.bin`", ["node_modules/.bin/quickback-kv", ["build", "--quiet"]], ["node_modules/.bin/wrangler", ["types"]]],
  ["`npm run`", ["npm", ["run", "--silent", "kv"]], ["npm", ["run", "--silent", "types"]]],
  ["`npx`", ["npx", ["quickback-kv", "build", "--quiet"]], ["npx", ["wrangler", "types"]]],
];
const time = ([cmd, args]) => {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: project, env, stdio: "ignore" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}`);
  return ms;
};
const samples = ways.map(() => ({ qk: [], wr: [] }));
for (const [i, [, qk, wr]] of ways.entries()) { time(qk); time(wr); } // warm caches
for (let round = 0; round < rounds; round++) {
  for (const [i, [, qk, wr]] of ways.entries()) {
    samples[i].wr.push(time(wr));
    for (let k = 0; k < 3; k++) samples[i].qk.push(time(qk));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
console.log("| run as | `quickback-kv build` | `wrangler types` | ratio |");
console.log("|---|---:|---:|---:|");
for (const [i, [name]] of ways.entries()) {
  const q = median(samples[i].qk);
  const w = median(samples[i].wr);
  console.log(`| ${name} | ${fmt(q)} | ${fmt(w)} | ${(w / q).toFixed(1)}x faster |`);
}
console.log(`\n${rounds} rounds (wrangler once, quickback-kv 3 times per way and round), ${os.cpus().length} cores, ${os.cpus()[0].model}, Node ${process.version}`);
rmSync(work, { recursive: true, force: true });

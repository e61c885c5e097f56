// The generated memory KV (src/lib/kv-memory.ts) against Miniflare's KV in workerd:
// the same seeded random operation sequence runs on both, and every answer is
// compared, operation by operation: values (text, JSON, bytes, streams, bulk maps),
// metadata, list pages and cursors, and errors (class and exact message).
//
// The sequence mixes valid and invalid input: keys from a small pool (prefixes,
// UTF-8 ordering traps, empty, ".", 512 and 513 bytes, a lone surrogate), string,
// binary and non-string values, TTLs and absolute expirations (valid and not),
// metadata (valid, null, over 1,024 bytes), cacheTtl, list limits and cursors
// (followed across inserts, and malformed), bulk gets. Expirations are compared with
// one second of slack: the two clocks read whole seconds at slightly different moments.
//
// KV_DIFF_OPS (default 3000) and KV_DIFF_SEED (default 1) size a run; a longer run by
// hand: KV_DIFF_OPS=50000 KV_DIFF_SEED=7 node --test tests/real/kv-memory-differential.test.mjs

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, REAL_DIR, projects, requirePrerequisites, skipUnlessReady, tempWorkspace } from "./support/env.mjs";
import { encodeOperation, runOperation } from "./support/kv-ops.mjs";

const MEMORY_KV = "src/lib/kv-memory.ts";
const OPS = Number(process.env.KV_DIFF_OPS ?? 3000);
const SEEDS = (process.env.KV_DIFF_SEED ?? "1,2").split(",").map(Number);
const BATCH = 100;

/** Projects with a generated memory KV; in CI at least one must have it. */
function memoryProjects() {
  const all = projects();
  const found = all.filter((p) => existsSync(path.join(p.dir, MEMORY_KV)));
  if (all.length > 0 && found.length === 0 && process.env.CI === "true") {
    throw new Error(`CI=true but none of the QK_PROJECTS has ${MEMORY_KV}`);
  }
  return found;
}

/** Loads a generated TypeScript module into Node (esbuild strips the types). */
async function loadTs(file, ws) {
  const esbuild = await import("esbuild");
  const out = path.join(ws.dir, `${path.basename(file, ".ts")}.mjs`);
  await esbuild.build({ entryPoints: [file], outfile: out, format: "esm", target: "es2022", platform: "neutral", bundle: false, logLevel: "silent" });
  return import(pathToFileURL(out).href);
}

// mulberry32: small, seedable, good enough to pick operations.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  return { next, int, pick, chance: (p) => next() < p };
}

const KEYS = [
  "a", "a/1", "a/2", "a/10", "a/é", "b/1", "b/2", "B", "_z", "é", "\u{1F600}", "\uFFFF", "10", "2", "ab",
  "x".repeat(512), "é".repeat(256), "\ud800x",
];
const BAD_KEYS = ["", ".", "..", "x".repeat(513), "é".repeat(257)];
const PREFIXES = [undefined, "", "a", "a/", "b/", "é", "\u{1F600}", "zz", "x".repeat(513)];

function randomKey(r) {
  if (r.chance(0.05)) return r.pick(BAD_KEYS);
  if (r.chance(0.3)) return `k/${r.int(40)}`;
  return r.pick(KEYS);
}

function randomValue(r) {
  switch (r.int(9)) {
    case 0:
      return Uint8Array.from({ length: r.int(8) }, () => r.pick([0, 0x80, 0xff, 0x41, r.int(256)]));
    case 1:
      return Uint8Array.from([0xff, 0, 0x80]).buffer;
    case 2:
      return JSON.stringify({ n: r.int(100), s: "é" });
    case 3:
      return String(r.int(100));
    case 4:
      return r.pick([null, true, 42, undefined]);
    case 5:
      return r.chance(0.5) ? { not: "allowed" } : "";
    default:
      return `v${r.int(1000)}`;
  }
}

function randomPutOptions(r, now) {
  const options = {};
  if (r.chance(0.3)) options.expirationTtl = r.pick([60, 61, 3600, 86400, 30, 0, -1, 59.5, 60.7, NaN, "120"]);
  if (r.chance(0.2)) options.expiration = now + r.pick([3600, 120, 30, -10, 0]);
  if (r.chance(0.05)) options.expiration = r.pick([0, "abc", NaN]);
  if (r.chance(0.3)) {
    options.metadata = r.pick([{ a: 1 }, null, "s", 0, false, [1, "é"], { big: "y".repeat(1018) }, { ok: "y".repeat(1000) }]);
  }
  return options;
}

/** Equal, but an `expiration` may differ by one second. */
function same(a, b, at = "") {
  if (at.endsWith(".expiration") && typeof a === "number" && typeof b === "number") {
    return Math.abs(a - b) <= 1 ? null : `${at}: ${a} vs ${b}`;
  }
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return Object.is(a, b) ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = same(a[k], b[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

/** One random operation, as a description and a function of a namespace. */
function randomOperation(r, state, now) {
  const roll = r.int(100);
  if (roll < 35) {
    const key = randomKey(r);
    const value = randomValue(r);
    const options = r.chance(0.6) ? randomPutOptions(r, now) : undefined;
    return { what: ["put", key, value, options] };
  }
  if (roll < 55) {
    const key = randomKey(r);
    const type = r.pick([undefined, "text", "json", "arrayBuffer", "stream", "blob"]);
    const cacheTtl = r.chance(0.15) ? r.pick([10, 29.9, 30, 60, NaN]) : undefined;
    const options = cacheTtl === undefined ? type : { type, cacheTtl };
    const method = r.chance(0.4) ? "getWithMetadata" : "get";
    return { what: [method, key, options] };
  }
  if (roll < 63) {
    const count = r.chance(0.05) ? r.pick([0, 101]) : 1 + r.int(5);
    const keys = Array.from({ length: count }, () => (r.chance(0.05) ? r.pick(BAD_KEYS) : r.pick([...KEYS, "k/1", "k/2", "missing"])));
    const type = r.pick([undefined, "text", "json", "arrayBuffer"]);
    const options = r.chance(0.1) ? { type, cacheTtl: r.pick([10, 60]) } : type;
    const method = r.chance(0.4) ? "getWithMetadata" : "get";
    return { what: [method, keys, options] };
  }
  if (roll < 75) {
    const key = randomKey(r);
    return { what: ["delete", key] };
  }
  const options = {};
  const prefix = r.pick(PREFIXES);
  if (prefix !== undefined) options.prefix = prefix;
  if (r.chance(0.5)) options.limit = r.pick([1, 2, 3, 5, 1000, 0, -1, 1001, 1.5, "2"]);
  if (state.cursor && r.chance(0.6)) {
    options.prefix = state.cursorPrefix;
    options.cursor = state.cursor;
  } else if (r.chance(0.05)) {
    options.cursor = r.pick(["!!!", "YQ==", "", "4pyT"]);
  }
  return {
    what: ["list", options],
    after: (answer) => {
      state.cursor = answer.ok && !answer.ok.list_complete ? answer.ok.cursor : undefined;
      state.cursorPrefix = options.prefix;
    },
  };
}

const printable = (what) =>
  JSON.stringify(what, (_, v) => {
    if (v === undefined) return "<undefined>";
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return `<bytes ${[...new Uint8Array(v.buffer ?? v)]}>`;
    if (typeof v === "string" && v.length > 40) return `${v.slice(0, 12)}…(${v.length})`;
    return v;
  });

describe("memory KV vs Miniflare's KV (differential)", skipUnlessReady(), () => {
  let found;
  let mf;
  let ws;
  before(async () => {
    if (!requirePrerequisites()) return;
    found = memoryProjects();
    ws = tempWorkspace("kv-diff");
    // The operations run inside a worker, on the binding itself: no Node-to-workerd
    // proxy between the KV and the comparison.
    const esbuild = await import("esbuild");
    const script = path.join(ws.dir, "kv-ops-worker.mjs");
    await esbuild.build({
      entryPoints: [path.join(REAL_DIR, "workers", "kv-ops-worker.mjs")],
      outfile: script,
      bundle: true,
      format: "esm",
      target: "es2022",
      logLevel: "silent",
    });
    mf = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: ws.dir,
      compatibilityDate: COMPATIBILITY_DATE,
      kvNamespaces: SEEDS.map((s) => `KV${s}`),
    });
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose().catch(() => {});
    ws?.cleanup();
  });

  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
    assert.ok(found.length > 0 || process.env.CI !== "true");
  });

  for (const seed of SEEDS) {
    test(`seed ${seed}: ${OPS} operations answer the same`, async (t) => {
      if (!found?.length) return t.skip(`no project with ${MEMORY_KV}`);
      const { createMemoryKV } = await loadTs(path.join(found[0].dir, MEMORY_KV), ws);
      const real = async (texts) =>
        (await mf.dispatchFetch(`http://kv.test/?kv=KV${seed}`, { method: "POST", body: JSON.stringify(texts) })).json();
      let clock = Date.now();
      const memory = createMemoryKV({ now: () => clock });
      const r = rng(seed);
      const state = {};
      const log = [];
      // Batches of operations go to workerd in one request each; a list ends a batch,
      // since the next operation may follow its cursor. The memory KV then runs each
      // operation at the time workerd started it.
      for (let done = 0; done < OPS; ) {
        const batch = [];
        let last;
        while (batch.length < BATCH && done + batch.length < OPS) {
          last = randomOperation(r, state, Math.floor(Date.now() / 1000));
          batch.push(encodeOperation(last.what));
          log.push(printable(last.what));
          if (last.after) break;
        }
        const expected = await real(batch);
        for (let i = 0; i < batch.length; i++) {
          const { now, ...want } = expected[i];
          clock = now;
          const got = JSON.parse(JSON.stringify(await runOperation(memory, batch[i])));
          const difference = same(want, got);
          if (difference) {
            const at = done + i;
            assert.fail(
              `operation ${at} of seed ${seed} differs at ${difference}\n${log.slice(Math.max(0, at - 7), at + 1).join("\n")}\n` +
                `miniflare: ${JSON.stringify(want)}\nmemory:    ${JSON.stringify(got)}`,
            );
          }
        }
        last.after?.(expected.at(-1));
        done += batch.length;
      }
      // And the whole namespace, through every page, ends the same.
      const all = async (run) => {
        const keys = [];
        let cursor;
        do {
          const [{ now: _, ...answer }] = await run([encodeOperation(["list", cursor === undefined ? { limit: 7 } : { cursor, limit: 7 }])]);
          keys.push(...answer.ok.keys);
          cursor = answer.ok.list_complete ? undefined : answer.ok.cursor;
        } while (cursor);
        return keys;
      };
      clock = Date.now();
      const everything = await all(real);
      assert.ok(everything.length > 10, "the sequence left keys to compare");
      assert.equal(same(everything, await all(async ([text]) => [JSON.parse(JSON.stringify(await runOperation(memory, text)))])), null);
    });
  }
});



// The generated typed cache (src/lib/kv-cache.ts) and memory KV (src/lib/kv-memory.ts):
// (1) type-checked by the pinned tsc under --strict without skipLibCheck, and under the
//     strictest common settings, with a usage file whose `@ts-expect-error` lines must
//     each be an error (wrong key patterns, wrong value types, wrong raw kinds);
// (2) the cache bundled into a worker and run in workerd (Miniflare) on a real local
//     KV namespace: round trips, every limit error, paging past 1,000 keys;
// (3) the memory KV's second location, which sees writes late on an injected clock.

import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import {
  COMPATIBILITY_DATE,
  REAL_DIR,
  TOOLS,
  projects,
  requirePrerequisites,
  run,
  skipUnlessReady,
  tempWorkspace,
} from "./support/env.mjs";

const CACHE_MODULE = "src/lib/kv-cache.ts";
const MEMORY_KV = "src/lib/kv-memory.ts";

function cacheProjects() {
  const all = projects();
  const found = all.filter((p) => existsSync(path.join(p.dir, CACHE_MODULE)));
  if (all.length > 0 && found.length === 0 && process.env.CI === "true") {
    throw new Error(`CI=true but none of the QK_PROJECTS has ${CACHE_MODULE}`);
  }
  return found;
}

/** The first generated cache function and its binding, read from the module. */
function cacheFunction(text) {
  const m = /export function (\w+)<S extends CacheSchema = Record<string, unknown>>\(env: \{ readonly (\w+): KVNamespace \}\)/.exec(text);
  assert.ok(m, "the cache module exports a function per binding");
  return { name: m[1], binding: m[2] };
}

const USAGE = (fn) => `import { ${fn.name}, createKvCache, KvCacheError, type KvCache } from "./kv-cache";
import { createMemoryKV, type MemoryKV } from "./kv-memory";

interface User {
  id: string;
  name: string;
}
interface Schema {
  [key: \`user:\${string}\`]: User;
  [key: \`avatar:\${string}\`]: ArrayBuffer;
  [key: \`page:\${string}\`]: string;
  flags: Record<string, boolean>;
}

export async function usage(): Promise<void> {
  const kv: MemoryKV = createMemoryKV({ now: () => 0 });
  const env = { ${fn.binding}: kv as KVNamespace };
  const cache: KvCache<Schema> = ${fn.name}<Schema>(env);
  const user: User | null = await cache.get("user:123");
  await cache.set("user:1", { id: "1", name: "Ada" });
  const entry = await cache.getWithMetadata<"user:1", { v: number }>("user:1");
  const v: number | undefined = entry?.metadata?.v;
  const flags: Record<string, boolean> = await cache.remember("flags", 60, () => ({ beta: true }));
  await cache.setBytes("avatar:1", new Uint8Array([1, 2]));
  const avatar: ArrayBuffer | null = await cache.getArrayBuffer("avatar:1");
  const page: string | null = await cache.getText("page:home");
  for await (const key of cache.keys("user:")) key satisfies string;
  for await (const key of cache.clear("page:")) key satisfies string;
  const untyped = createKvCache(kv);
  await untyped.set("anything", [1, 2, 3]);
  // @ts-expect-error: no key pattern matches "post:1"
  await cache.get("post:1");
  // @ts-expect-error: a plain string is not a key of the schema
  await cache.get("user" as string);
  // @ts-expect-error: a User's id is a string
  await cache.set("user:2", { id: 2, name: "Bob" });
  // @ts-expect-error: a page is a string, not a number
  await cache.set("page:home", 42);
  // @ts-expect-error: a user is JSON, not text
  await cache.getText("user:1");
  // @ts-expect-error: bytes only go under an ArrayBuffer key
  await cache.setBytes("user:1", new Uint8Array([1]));
  // @ts-expect-error: remember loads the key's value type
  await cache.remember("user:3", 60, () => "not a user");
  // @ts-expect-error: ttl is a number of seconds
  await cache.set("user:4", { id: "4", name: "D" }, { ttl: "60" });
  void [user, v, flags, avatar, page, KvCacheError];
}
`;

const BASE = {
  strict: true,
  noEmit: true,
  target: "es2022",
  lib: ["es2022"],
  types: ["@cloudflare/workers-types"],
  module: "esnext",
  moduleResolution: "bundler",
  skipLibCheck: false,
};
const STRICTEST = {
  ...BASE,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noPropertyAccessFromIndexSignature: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  erasableSyntaxOnly: true,
};

describe("typed cache and memory KV", skipUnlessReady(), () => {
  let found;
  before(() => {
    if (requirePrerequisites()) found = cacheProjects();
  });

  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
    assert.ok(found.length > 0 || process.env.CI !== "true");
  });

  test("tsc --strict (no skipLibCheck) and the strictest settings accept the modules and refuse every @ts-expect-error line", async (t) => {
    if (!found?.length) return t.skip(`no project with ${CACHE_MODULE}`);
    for (const project of found) {
      const ws = tempWorkspace("kv-cache-tsc");
      try {
        copyFileSync(path.join(project.dir, CACHE_MODULE), path.join(ws.dir, "kv-cache.ts"));
        copyFileSync(path.join(project.dir, MEMORY_KV), path.join(ws.dir, "kv-memory.ts"));
        const fn = cacheFunction(readFileSync(path.join(ws.dir, "kv-cache.ts"), "utf8"));
        const usage = USAGE(fn);
        writeFileSync(path.join(ws.dir, "usage.ts"), usage);
        for (const [name, options] of [["strict", BASE], ["strictest", STRICTEST]]) {
          writeFileSync(
            path.join(ws.dir, `tsconfig.${name}.json`),
            JSON.stringify({ compilerOptions: options, files: ["kv-cache.ts", "kv-memory.ts", "usage.ts"] }),
          );
          const r = await run(TOOLS.tsc, ["-p", `tsconfig.${name}.json`, "--pretty", "false"], { cwd: ws.dir });
          assert.equal(r.code, 0, `${project.name}, ${name}: tsc exited ${r.code}:\n${r.stdout}${r.stderr}`);
        }
        // Each expected error is real: without its directive, that line fails.
        const lines = usage.split("\n");
        const directives = lines.flatMap((l, i) => (l.includes("@ts-expect-error") ? [i] : []));
        assert.ok(directives.length >= 8);
        for (const i of directives) {
          writeFileSync(path.join(ws.dir, "usage.ts"), lines.filter((_, j) => j !== i).join("\n"));
          const r = await run(TOOLS.tsc, ["-p", "tsconfig.strict.json", "--pretty", "false"], { cwd: ws.dir });
          assert.notEqual(r.code, 0, `without "${lines[i].trim()}" the next line type-checks`);
        }
      } finally {
        ws.cleanup();
      }
    }
  });

  describe("in workerd against KV", () => {
    let mf;
    let ws;
    before(async () => {
      if (!found?.length) return;
      ws = tempWorkspace("kv-cache-workerd");
      const esbuild = await import("esbuild");
      const script = path.join(ws.dir, "cache-worker.mjs");
      await esbuild.build({
        entryPoints: [path.join(REAL_DIR, "workers", "cache-worker.mjs")],
        outfile: script,
        bundle: true,
        format: "esm",
        target: "es2022",
        alias: { "qk-cache": path.join(found[0].dir, CACHE_MODULE) },
        logLevel: "silent",
      });
      mf = new Miniflare({ modules: true, scriptPath: script, modulesRoot: ws.dir, compatibilityDate: COMPATIBILITY_DATE, kvNamespaces: ["CACHE"] });
      await mf.ready;
    });
    after(async () => {
      await mf?.dispose().catch(() => {});
      ws?.cleanup();
    });
    const scenario = async (name) => {
      const answer = await (await mf.dispatchFetch(`http://cache.test/?scenario=${name}`)).json();
      assert.ok(answer.ok, answer.error);
      return answer.results;
    };

    test("JSON round trips exactly; text, bytes, streams, metadata, expiry, delete, remember", async (t) => {
      if (!mf) return t.skip("no cache module");
      const r = await scenario("roundTrips");
      assert.deepEqual(r.s, { value: "42", entry: { value: "42", metadata: null }, has: true });
      assert.deepEqual(r.n, { value: 42, entry: { value: 42, metadata: null }, has: true });
      assert.deepEqual(r.nul, { value: null, entry: { value: null, metadata: null }, has: true });
      assert.deepEqual(r.obj.value, { a: [1, "é", null] });
      assert.deepEqual(r.t.value, true);
      assert.deepEqual(r.empty, { value: "", entry: { value: "", metadata: null }, has: true });
      assert.deepEqual(r.miss, { value: null, entry: null, has: false });
      assert.equal(r.raw, '"42"');
      assert.ok(r.list.every(([name, expiration]) => name.startsWith("rt:") && expiration === "number"), "defaultTtl applies");
      assert.equal(r.text, "plain é");
      assert.deepEqual(r.bin, [0xff, 0, 0x80]);
      assert.deepEqual(r.stream, [0xff, 0, 0x80]);
      assert.equal(r.streamed, "from a stream");
      assert.deepEqual(r.meta, { value: 1, metadata: { v: 2 } });
      assert.deepEqual(r.metaList[0][0], { v: 2 });
      assert.ok(Math.abs(r.metaList[0][1] - 120) <= 1, `ttl 120 gave ${r.metaList[0][1]}`);
      assert.equal(r.abs, 0);
      assert.equal(r.deleted, false);
      assert.deepEqual(r.deletedMany, [false, false, true]);
      assert.deepEqual(r.remember, [{ loaded: 1 }, { loaded: 1 }, 1]);
      assert.ok(Math.abs(r.rememberTtl[0] - 300) <= 1);
      assert.equal(r.rememberNull, 1, "a remembered null is a hit");
      assert.deepEqual(r.noTtl, ["none"]);
    });

    test("every KV limit is refused before the call, with what to do", async (t) => {
      if (!mf) return t.skip("no cache module");
      const r = await scenario("limits");
      const refused = (e, pattern) => {
        assert.ok(e, `expected an error matching ${pattern}`);
        assert.equal(e.isCacheError, true, `${e.name}: ${e.message}`);
        assert.match(e.message, pattern);
      };
      refused(r.ttl30, /ttl of 30 s .*at least 60 .*use 60 or more/);
      refused(r.ttlFraction, /ttl of 60\.5 s is not a whole number/);
      refused(r.expirationSoon, /not at least 60 s from now/);
      refused(r.both, /both ttl and expiration/);
      refused(r.key513, /is 513 bytes with the prefix "lim:"; KV allows 512: shorten it/);
      assert.equal(r.key512, null);
      refused(r.metadata1025, /metadata is 1025 bytes as JSON; KV allows 1024/);
      assert.equal(r.metadata1024, null);
      refused(r.value25MiB, /26214401 bytes; KV allows 26214400 \(25 MiB\): split it/);
      refused(r.bytes25MiB, /26214401 bytes/);
      refused(r.cacheTtl10, /cacheTtl of 10 .*at least 30/);
      refused(r.undefinedValue, /undefined at \.x would be dropped/);
      refused(r.nan, /NaN at \[1\] would become null/);
      refused(r.date, /a Date at \.d is not a plain object/);
      refused(r.map, /a Map is not a plain object/);
      refused(r.emptyKey, /the key is empty/);
      refused(r.dotKey, /"\." is not a key KV accepts/);
      refused(r.defaultTtl, /defaultTtl of 59 s/);
      refused(r.listPrefix, /514 bytes with the cache's prefix/);
      assert.deepEqual(r.nothingWritten, ["lim:a", "lim:" + "k".repeat(508)], "only the writes within limits reached KV");
      assert.match(r.kvStillRefuses.message, /KV PUT failed: 400 Invalid expiration_ttl of 30/);
    });

    test("keys() and clear() follow cursors past 1,000 keys", async (t) => {
      if (!mf) return t.skip("no cache module");
      await scenario("seed");
      const r = await scenario("paging");
      assert.equal(r.count, 1005);
      assert.equal(r.first, "item:0000");
      assert.equal(r.last, "item:1004");
      assert.deepEqual(r.other, ["other:1"]);
      assert.equal(r.cleared, 1005);
      assert.deepEqual(r.left, ["pg:other:1"]);
    });
  });

  test("memory KV: a second location sees writes late, on the injected clock", async (t) => {
    if (!found?.length) return t.skip(`no project with ${MEMORY_KV}`);
    const ws = tempWorkspace("kv-memory-location");
    try {
      const esbuild = await import("esbuild");
      const out = path.join(ws.dir, "kv-memory.mjs");
      await esbuild.build({ entryPoints: [path.join(found[0].dir, MEMORY_KV)], outfile: out, format: "esm", logLevel: "silent" });
      const { createMemoryKV } = await import(pathToFileURL(out).href);
      let now = 1_700_000_000_000;
      const here = createMemoryKV({ now: () => now });
      const there = here.location({ lagMs: 60_000 });
      await here.put("session:1", "valid");
      now += 61_000;
      assert.equal(await there.get("session:1"), "valid");
      await here.delete("session:1");
      assert.equal(await here.get("session:1"), null, "the deleting location sees it at once");
      now += 30_000;
      assert.equal(await there.get("session:1"), "valid", "a revoked session is still served elsewhere");
      now += 30_000;
      assert.equal(await there.get("session:1"), null, "and gone once the write arrives");
      await there.put("k", "from there");
      assert.equal(await here.get("k"), null);
      now += 30_000;
      await here.put("k", "newer, from here");
      now += 30_000;
      assert.equal(await here.get("k"), "newer, from here", "a write arriving late never replaces a newer one");
      now += 60_000;
      assert.equal(await there.get("k"), "newer, from here");
      await there.put("k2", "from there");
      now += 60_000;
      assert.equal(await here.get("k2"), "from there");
      // Expiry on the same clock.
      await here.put("ttl", "v", { expirationTtl: 60 });
      assert.equal((await here.list({ prefix: "ttl" })).keys[0].expiration, Math.floor(now / 1000) + 60);
      now += 59_000;
      assert.equal(await here.get("ttl"), "v");
      now += 1_000;
      assert.equal(await here.get("ttl"), null);
    } finally {
      ws.cleanup();
    }
  });
});

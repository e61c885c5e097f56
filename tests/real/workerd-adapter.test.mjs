// (c) The generated session adapter, bundled with esbuild into a worker and run in
// workerd through Miniflare 4 against a real (local) KV namespace. Expirations are
// read from KV's own `list()` answer, never by sleeping. The adapter imports only
// types from Better Auth, so one run covers every Better Auth line: the worker is
// bundled with each line (1.4, 1.5, 1.6.9, 1.6, 1.7) and the bundles are checked to be
// identical and free of Better Auth code.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  BETTER_AUTH_LINES,
  COMPATIBILITY_DATE,
  REAL_DIR,
  adapterBinding,
  adapterConstants,
  adapterProjects,
  bundle,
  PROJECT_CONCURRENCY,
  pinnedVersion,
  requirePrerequisites,
  skipUnlessReady,
  tempWorkspace,
  listAll,
} from "./support/env.mjs";

const MiB = 1024 * 1024;
const utf8Bytes = (s) => Buffer.byteLength(s, "utf8");
const nowSeconds = () => Date.now() / 1000;

/**
 * Runs `action` and checks that KV's `expiration` for `storedKey` equals the moment
 * of the write plus `ttl` seconds (KV counts whole seconds: the write happened
 * between the clock readings before and after the call).
 */
async function assertExpiresAfter(kv, storedKey, ttl, action) {
  const start = Math.floor(nowSeconds());
  await action();
  const end = Math.ceil(nowSeconds());
  const entry = await listEntry(kv, storedKey);
  assert.ok(entry, `no key ${JSON.stringify(storedKey)} in KV`);
  assert.equal(typeof entry.expiration, "number", `${storedKey} has no expiration`);
  assert.ok(
    entry.expiration >= start + ttl && entry.expiration <= end + ttl,
    `expiration ${entry.expiration} is not now + ${ttl} (now was ${start}..${end})`,
  );
  return entry;
}

async function listEntry(kv, name) {
  return (await listAll(kv)).find((k) => k.name === name);
}

const projectsWithAdapter = (() => {
  try {
    return adapterProjects();
  } catch (e) {
    return e;
  }
})();

describe("session adapter in workerd (Miniflare)", { ...skipUnlessReady(), concurrency: PROJECT_CONCURRENCY }, () => {
  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
    if (projectsWithAdapter instanceof Error) throw projectsWithAdapter;
  });

  if (projectsWithAdapter instanceof Error) return;

  for (const project of projectsWithAdapter) {
    describe(project.name, { concurrency: 1 }, () => {
      const binding = adapterBinding(project.adapter);
      const constants = adapterConstants(project.adapter);
      const prefix = constants.prefix;
      let mf;
      let kv;
      let ws;
      let perLine = [];

      /** Calls the worker; returns its { ok, result | error } answer. */
      async function call(body) {
        const res = await mf.dispatchFetch("http://worker.test/", {
          method: "POST",
          body: JSON.stringify({ binding, ...body }),
        });
        assert.equal(res.status, 200, await res.clone().text());
        return res.json();
      }
      async function ok(body) {
        const r = await call(body);
        assert.ok(r.ok, `${body.op} failed: ${JSON.stringify(r.error)}`);
        return r.result;
      }
      async function refused(body) {
        const r = await call(body);
        assert.ok(!r.ok, `${body.op} unexpectedly succeeded: ${JSON.stringify(r.result)?.slice(0, 200)}`);
        return r.error;
      }
      async function clear() {
        for (const k of await listAll(kv)) await kv.delete(k.name);
      }

      before(async () => {
        // Imported here so that a missing install skips (or, in CI, fails) cleanly.
        const { Miniflare } = await import("miniflare");
        ws = tempWorkspace("workerd-adapter");
        // The worker is bundled with each Better Auth line as `better-auth`. The adapter
        // imports only types from it, so every bundle must be the same bytes with no
        // Better Auth code: what runs below is what runs next to each line.
        // (Checked on the first project; the others are bundled with 1.7 only.)
        const bundles = [];
        const first = project.dir === projectsWithAdapter[0].dir;
        for (const line of BETTER_AUTH_LINES.filter((l) => l.newest || first)) {
          const { outfile, betterAuthLines } = await bundle({
            entry: path.join(REAL_DIR, "workers", "adapter-worker.mjs"),
            adapterPath: project.adapter,
            outfile: path.join(ws.dir, `worker-${line.pkg}.mjs`),
            platform: "neutral",
            betterAuth: line.pkg,
          });
          bundles.push({ line, outfile, betterAuthLines, text: readFileSync(outfile, "utf8") });
        }
        perLine = bundles;
        const script = bundles.find((b) => b.line.newest).outfile;
        mf = new Miniflare({
          modules: true,
          scriptPath: script,
          modulesRoot: ws.dir,
          compatibilityDate: COMPATIBILITY_DATE,
          compatibilityFlags: ["nodejs_compat"],
          kvNamespaces: [binding],
        });
        await mf.ready;
        kv = await mf.getKVNamespace(binding);
      });

      after(async () => {
        // A Miniflare that failed to start rethrows that failure here; the test has
        // already reported it.
        await mf?.dispose().catch(() => {});
        ws?.cleanup();
      });

      if (project.dir === projectsWithAdapter[0].dir) test(`the same worker for every Better Auth line (${BETTER_AUTH_LINES.map((l) => l.version).join(", ")})`, () => {
        assert.equal(perLine.length, BETTER_AUTH_LINES.length);
        for (const b of perLine) {
          assert.deepEqual(b.betterAuthLines, [], `Better Auth code in the bundle for ${b.line.version}`);
          assert.ok(b.text === perLine[0].text, `the bundle for ${b.line.version} differs from ${perLine[0].line.version}'s`);
        }
      });

      test(`runs on miniflare ${pinnedVersion("miniflare")}; exports and constants`, async () => {
        const info = await ok({ op: "info" });
        for (const name of [
          "createKvSecondaryStorage",
          "kvSecondaryStorage",
          "betterAuthKvOptions",
          "KvSecondaryStorageError",
          "KV_VERIFICATION_OPTIONS",
          "KV_RATE_LIMIT_STORAGE",
        ]) {
          assert.ok(info.exports.includes(name), `adapter does not export ${name}`);
        }
        assert.deepEqual(info.members, ["delete", "get", "getAndDelete", "increment", "set"]);
        assert.equal(info.prefix, prefix);
        assert.deepEqual(info.betterAuthKvOptions, {
          secondaryStorage: ["delete", "get", "getAndDelete", "increment", "set"],
          session: { expiresIn: constants.expiresIn, updateAge: constants.updateAge, storeSessionInDatabase: true },
          verification: { storeInDatabase: true },
          rateLimit: { storage: "memory" },
        });
        assert.deepEqual(info.verificationOptions, { storeInDatabase: true });
        assert.equal(info.rateLimitStorage, "memory");
      });

      test("keys are stored under the configured prefix", async () => {
        await clear();
        await ok({ op: "set", key: "plain-key", value: "v1" });
        await ok({ op: "set", factory: "create", key: "via-create", value: "v2" });
        await ok({ op: "set", factory: "create", options: { keyPrefix: "other:" }, key: "k", value: "v3" });
        const names = (await listAll(kv)).map((k) => k.name).sort();
        assert.deepEqual(names, [prefix + "plain-key", prefix + "via-create", "other:k"].sort());
        assert.equal(await kv.get(prefix + "plain-key"), "v1");
        assert.equal(await ok({ op: "get", key: "plain-key" }), "v1");
        assert.equal(await ok({ op: "get", key: "missing" }), null);
        await ok({ op: "delete", key: "plain-key" });
        assert.equal(await kv.get(prefix + "plain-key"), null);
        assert.equal(await ok({ op: "get", key: "plain-key" }), null);
      });

      test("TTL under 60 s is stored as 60 s (KV's minimum)", async () => {
        await clear();
        await assertExpiresAfter(kv, prefix + "ttl-30", 60, () => ok({ op: "set", key: "ttl-30", value: "v", ttl: 30 }));
        await assertExpiresAfter(kv, prefix + "ttl-1", 60, () => ok({ op: "set", key: "ttl-1", value: "v", ttl: 1 }));
        await assertExpiresAfter(kv, prefix + "ttl-0.5", 60, () => ok({ op: "set", key: "ttl-0.5", value: "v", ttl: 0.5 }));
        assert.equal(await ok({ op: "get", key: "ttl-30" }), "v");
      });

      test("fractional TTL is rounded up; longer TTL is kept", async () => {
        await clear();
        await assertExpiresAfter(kv, prefix + "ttl-90.2", 91, () => ok({ op: "set", key: "ttl-90.2", value: "v", ttl: 90.2 }));
        await assertExpiresAfter(kv, prefix + "ttl-59.5", 60, () => ok({ op: "set", key: "ttl-59.5", value: "v", ttl: 59.5 }));
        await assertExpiresAfter(kv, prefix + "ttl-week", 604800, () => ok({ op: "set", key: "ttl-week", value: "v", ttl: 604800 }));
      });

      test("TTL 0 or negative leaves no value, also when one existed", async () => {
        await clear();
        await ok({ op: "set", key: "existing", value: "old" });
        await ok({ op: "set", key: "existing", value: "new", ttl: 0 });
        await ok({ op: "set", key: "existing-2", value: "old", ttl: 3600 });
        await ok({ op: "set", key: "existing-2", value: "new", ttl: -5 });
        await ok({ op: "set", key: "fresh", value: "v", ttl: 0 });
        await ok({ op: "set", key: "fresh-negative", value: "v", ttl: -1 });
        assert.deepEqual(await listAll(kv), []);
        assert.equal(await ok({ op: "get", key: "existing" }), null);
      });

      test("no TTL means no expiration", async () => {
        await clear();
        await ok({ op: "set", key: "forever", value: "v" });
        const entry = await listEntry(kv, prefix + "forever");
        assert.ok(entry);
        assert.equal(entry.expiration, undefined);
        // A later write with a TTL adds one; a write without removes it again.
        await assertExpiresAfter(kv, prefix + "forever", 120, () => ok({ op: "set", key: "forever", value: "v", ttl: 120 }));
        await ok({ op: "set", key: "forever", value: "v2" });
        assert.equal((await listEntry(kv, prefix + "forever")).expiration, undefined);
      });

      test("a key over 512 bytes round-trips under a hashed key of at most 512 bytes", async () => {
        await clear();
        const ascii = "k".repeat(600);
        const multibyte = "\u20ac".repeat(200); // 200 UTF-16 units, 600 UTF-8 bytes
        await ok({ op: "set", key: ascii, value: "ascii", ttl: 3600 });
        await ok({ op: "set", key: multibyte, value: "multibyte" });
        assert.equal(await ok({ op: "get", key: ascii }), "ascii");
        assert.equal(await ok({ op: "get", key: multibyte }), "multibyte");
        const stored = await listAll(kv);
        assert.equal(stored.length, 2, JSON.stringify(stored.map((k) => k.name)));
        for (const k of stored) {
          assert.ok(utf8Bytes(k.name) <= 512, `stored key is ${utf8Bytes(k.name)} bytes`);
          assert.ok(k.name.startsWith(prefix), `stored key ${k.name} lacks the prefix`);
          assert.ok(!k.name.includes("kkkkkkkkkk") && !k.name.includes("\u20ac\u20ac"), "key was truncated, not hashed");
        }
        // Deterministic: writing again reuses the same stored key.
        await ok({ op: "set", key: ascii, value: "ascii-2", ttl: 3600 });
        assert.equal((await listAll(kv)).length, 2);
        assert.equal(await ok({ op: "get", key: ascii }), "ascii-2");
        // Keys near the limit: the longest key that fits is stored as is.
        const fits = "f".repeat(512 - utf8Bytes(prefix));
        await ok({ op: "set", key: fits, value: "fits" });
        assert.equal(await kv.get(prefix + fits), "fits");
        await ok({ op: "set", key: fits + "f", value: "one-more" });
        assert.equal(await ok({ op: "get", key: fits + "f" }), "one-more");
        assert.equal((await listAll(kv)).length, 4);
        // Deleting by the long key removes the hashed entry.
        await ok({ op: "delete", key: ascii });
        await ok({ op: "delete", key: multibyte });
        assert.equal(await ok({ op: "get", key: ascii }), null);
        assert.equal((await listAll(kv)).length, 2);
      });

      test("hashed keys use the documented form and cannot collide with short keys", async () => {
        await clear();
        const long = "x".repeat(700);
        const hashed = `~sha256:${createHash("sha256").update(long, "utf8").digest("hex")}`;
        await ok({ op: "set", key: long, value: "long" });
        assert.deepEqual((await listAll(kv)).map((k) => k.name), [prefix + hashed]);
        // A short key spelled like the hashed form is hashed too, not stored raw.
        await ok({ op: "set", key: hashed, value: "lookalike" });
        assert.equal(await ok({ op: "get", key: long }), "long");
        assert.equal(await ok({ op: "get", key: hashed }), "lookalike");
        assert.equal((await listAll(kv)).length, 2);
      });

      test("a value over 25 MiB is refused with a clear error", async () => {
        await clear();
        const tooBig = await refused({ op: "set", key: "big", repeat: { text: "a", count: 26 * MiB } });
        assert.equal(tooBig.code, "value-too-large");
        assert.match(tooBig.message, /25 MiB/);
        // UTF-8 bytes count, not UTF-16 units: 13.5 Mi two-byte characters are 27 MiB.
        const multibyte = await refused({ op: "set", key: "big", repeat: { text: "\u00e9", count: 13.5 * MiB }, ttl: 3600 });
        assert.equal(multibyte.code, "value-too-large");
        assert.deepEqual(await listAll(kv), []);
        // Exactly 25 MiB is accepted.
        await ok({ op: "set", key: "max", repeat: { text: "a", count: 25 * MiB }, ttl: 3600 });
        assert.deepEqual((await listAll(kv)).map((k) => k.name), [prefix + "max"]);
        await kv.delete(prefix + "max");
      });

      test("getAndDelete and increment throw by default, naming the Better Auth option", async () => {
        await clear();
        await ok({ op: "set", key: "once", value: "v" });
        const gad = await refused({ op: "getAndDelete", key: "once" });
        assert.equal(gad.name, "KvSecondaryStorageError");
        assert.equal(gad.code, "non-atomic-operation");
        assert.match(gad.message, /verification: \{ storeInDatabase: true \}/);
        assert.match(gad.message, /allowNonAtomic/);
        const inc = await refused({ op: "increment", key: "counter", ttl: 10 });
        assert.equal(inc.code, "non-atomic-operation");
        assert.match(inc.message, /rateLimit: \{ storage: "memory" \}/);
        assert.match(inc.message, /allowNonAtomic/);
        // Nothing was consumed or written.
        assert.equal(await ok({ op: "get", key: "once" }), "v");
        assert.deepEqual((await listAll(kv)).map((k) => k.name), [prefix + "once"]);
        // Same through createKvSecondaryStorage.
        assert.equal((await refused({ op: "increment", factory: "create", key: "c", ttl: 10 })).code, "non-atomic-operation");
      });

      test("allowNonAtomic: true gives best-effort getAndDelete and increment", async () => {
        await clear();
        const options = { allowNonAtomic: true };
        await ok({ op: "set", key: "once", value: "token-data", ttl: 600 });
        assert.equal(await ok({ op: "getAndDelete", key: "once", options }), "token-data");
        assert.equal(await ok({ op: "getAndDelete", key: "once", options }), null);
        assert.equal(await kv.get(prefix + "once"), null);

        // The counter's window starts at creation (10 s asked, KV keeps it 60 s).
        await assertExpiresAfter(kv, prefix + "counter", 60, async () => {
          assert.equal(await ok({ op: "increment", key: "counter", ttl: 10, options }), 1);
        });
        assert.equal(await ok({ op: "increment", key: "counter", ttl: 10, options }), 2);
        assert.equal(await ok({ op: "increment", key: "counter", ttl: 10, options }), 3);
        assert.equal(await kv.get(prefix + "counter"), "3");
        // ...but the window it records ends 10 s after creation, not 60 s: a 10 s rule
        // blocks for 10 s.
        const before = Math.floor(nowSeconds());
        await ok({ op: "increment", key: "short", ttl: 10, options });
        const after = Math.floor(nowSeconds());
        const short = await kv.getWithMetadata(prefix + "short");
        assert.ok(
          short.metadata.expiresAt >= before + 10 && short.metadata.expiresAt <= after + 10,
          `window ends at ${short.metadata.expiresAt}, not ${before}..${after} + 10`,
        );
        // A count whose window has ended starts over, although KV still holds the key.
        await kv.put(prefix + "ended", "7", { expirationTtl: 60, metadata: { expiresAt: before - 1 } });
        assert.equal(await ok({ op: "increment", key: "ended", ttl: 10, options }), 1);
        // A longer window is kept, not extended by later increments.
        await assertExpiresAfter(kv, prefix + "window", 300, async () => {
          assert.equal(await ok({ op: "increment", key: "window", ttl: 300, options }), 1);
        });
        const first = (await listEntry(kv, prefix + "window")).expiration;
        assert.equal(await ok({ op: "increment", key: "window", ttl: 300, options }), 2);
        const second = (await listEntry(kv, prefix + "window")).expiration;
        assert.ok(Math.abs(second - first) <= 1, `window moved from ${first} to ${second}`);
        // TTL 0: counts the request, stores nothing.
        assert.equal(await ok({ op: "increment", key: "instant", ttl: 0, options }), 1);
        assert.equal(await kv.get(prefix + "instant"), null);
      });

      test("a key prefix that leaves no room for hashed keys is refused", async () => {
        const error = await refused({ op: "construct", factory: "create", options: { keyPrefix: "p".repeat(450) } });
        assert.equal(error.code, "key-prefix-too-long");
        await ok({ op: "construct", factory: "create", options: { keyPrefix: "p".repeat(440) } });
      });
    });
  }
});

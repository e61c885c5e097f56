// Exercises the generated typed cache (alias "qk-cache", src/lib/kv-cache.ts) inside
// workerd on a real (local) KV namespace. GET /?scenario=NAME runs one scenario and
// answers { ok, results } with what each step saw; the Node test asserts on it.
import { KvCacheError, createKvCache } from "qk-cache";

const MiB = 1024 * 1024;

async function error(promiseOrFn) {
  try {
    await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    return null;
  } catch (e) {
    return { name: e?.name, message: e?.message, isCacheError: e instanceof KvCacheError };
  }
}

const scenarios = {
  async roundTrips(kv) {
    const cache = createKvCache(kv, { prefix: "rt:", defaultTtl: 3600 });
    const out = {};
    for (const [key, value] of Object.entries({ s: "42", n: 42, nul: null, obj: { a: [1, "é", null] }, t: true, empty: "" })) {
      await cache.set(key, value);
      out[key] = { value: await cache.get(key), entry: await cache.getWithMetadata(key), has: await cache.has(key) };
    }
    out.miss = { value: await cache.get("missing"), entry: await cache.getWithMetadata("missing"), has: await cache.has("missing") };
    out.raw = await kv.get("rt:s");
    out.list = (await kv.list({ prefix: "rt:" })).keys.map((k) => [k.name, typeof k.expiration]);
    await cache.setText("text", "plain é");
    out.text = await cache.getText("text");
    await cache.setBytes("bin", Uint8Array.from([0xff, 0, 0x80]));
    out.bin = [...new Uint8Array(await cache.getArrayBuffer("bin"))];
    out.stream = [...new Uint8Array(await new Response(await cache.getStream("bin")).arrayBuffer())];
    await cache.setBytes("streamed", new Blob(["from a stream"]).stream());
    out.streamed = await cache.getText("streamed");
    await cache.set("meta", 1, { metadata: { v: 2 }, ttl: 120 });
    out.meta = await cache.getWithMetadata("meta", { cacheTtl: 60 });
    out.metaList = (await kv.list({ prefix: "rt:meta" })).keys.map((k) => [k.metadata, k.expiration - Math.floor(Date.now() / 1000)]);
    const at = Math.floor(Date.now() / 1000) + 600;
    await cache.set("abs", "x", { expiration: new Date(at * 1000) });
    out.abs = (await kv.list({ prefix: "rt:abs" })).keys[0].expiration - at;
    await cache.delete("s");
    out.deleted = await cache.has("s");
    await cache.deleteMany(["n", "nul"]);
    out.deletedMany = [await cache.has("n"), await cache.has("nul"), await cache.has("obj")];
    let loads = 0;
    const load = () => {
      loads++;
      return { loaded: loads };
    };
    out.remember = [await cache.remember("r", 300, load), await cache.remember("r", 300, load), loads];
    out.rememberTtl = (await kv.list({ prefix: "rt:r" })).keys.map((k) => k.expiration - Math.floor(Date.now() / 1000));
    const nullCache = createKvCache(kv, { prefix: "rn:" });
    let nullLoads = 0;
    await nullCache.remember("n", undefined, () => (nullLoads++, null));
    await nullCache.remember("n", undefined, () => (nullLoads++, null));
    out.rememberNull = nullLoads;
    out.noTtl = (await kv.list({ prefix: "rn:" })).keys.map((k) => k.expiration ?? "none");
    return out;
  },

  async limits(kv) {
    const cache = createKvCache(kv, { prefix: "lim:" });
    const now = Math.floor(Date.now() / 1000);
    return {
      ttl30: await error(cache.set("a", 1, { ttl: 30 })),
      ttlFraction: await error(cache.set("a", 1, { ttl: 60.5 })),
      expirationSoon: await error(cache.set("a", 1, { expiration: now + 30 })),
      both: await error(cache.set("a", 1, { ttl: 120, expiration: now + 600 })),
      key513: await error(() => cache.set("k".repeat(509), 1)),
      key512: await error(() => cache.set("k".repeat(508), 1)),
      metadata1025: await error(cache.set("a", 1, { metadata: "m".repeat(1023) })),
      metadata1024: await error(cache.set("a", 1, { metadata: "m".repeat(1022) })),
      value25MiB: await error(cache.setText("big", "x".repeat(25 * MiB + 1))),
      bytes25MiB: await error(cache.setBytes("big", new Uint8Array(25 * MiB + 1))),
      cacheTtl10: await error(cache.get("a", { cacheTtl: 10 })),
      undefinedValue: await error(cache.set("a", { x: undefined })),
      nan: await error(cache.set("a", [1, NaN])),
      date: await error(cache.set("a", { d: new Date(0) })),
      map: await error(cache.set("a", new Map())),
      emptyKey: await error(() => createKvCache(kv).set("", 1)),
      dotKey: await error(() => createKvCache(kv).set(".", 1)),
      defaultTtl: await error(() => createKvCache(kv, { defaultTtl: 59 })),
      listPrefix: await error(async () => {
        for await (const _ of cache.keys("p".repeat(510))) void _;
      }),
      nothingWritten: (await kv.list({ prefix: "lim:" })).keys.map((k) => k.name),
      kvStillRefuses: await error(kv.put("x", "v", { expirationTtl: 30 })),
    };
  },

  async seed(kv) {
    const names = Array.from({ length: 1005 }, (_, i) => `pg:item:${String(i).padStart(4, "0")}`);
    await Promise.all([...names, "pg:other:1"].map((n) => kv.put(n, "1")));
    return names.length;
  },

  async paging(kv) {
    const cache = createKvCache(kv, { prefix: "pg:" });
    const keys = [];
    for await (const key of cache.keys("item:")) keys.push(key);
    const other = [];
    for await (const key of cache.keys("other:")) other.push(key);
    const cleared = [];
    for await (const key of cache.clear("item:")) cleared.push(key);
    const left = (await kv.list({ prefix: "pg:" })).keys.map((k) => k.name);
    return { count: keys.length, first: keys[0], last: keys.at(-1), other, cleared: cleared.length, left };
  },
};

export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("scenario");
    try {
      return Response.json({ ok: true, results: await scenarios[name](env.CACHE) });
    } catch (e) {
      return Response.json({ ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack}` });
    }
  },
};

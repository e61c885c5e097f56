// Worker used by workerd-adapter.test.mjs. Bundled with esbuild, `qk-adapter` being
// the generated src/lib/kv-session-storage.ts, and run in Miniflare (workerd) with the
// adapter's KV binding. Each POST body names one storage call; the answer is JSON
// { ok: true, result } or { ok: false, error: { name, code, message } }.

import * as adapter from "qk-adapter";

function storageFor(env, body) {
  if (body.factory === "create") {
    return body.options === undefined
      ? adapter.createKvSecondaryStorage(env[body.binding])
      : adapter.createKvSecondaryStorage(env[body.binding], body.options);
  }
  return body.options === undefined
    ? adapter.kvSecondaryStorage(env)
    : adapter.kvSecondaryStorage(env, body.options);
}

/** A value built inside the worker, so that tens of MiB need not cross HTTP. */
function valueOf(body) {
  if (body.repeat) return body.repeat.text.repeat(body.repeat.count);
  return body.value;
}

async function call(env, body) {
  switch (body.op) {
    case "info": {
      const options = adapter.betterAuthKvOptions(env);
      return {
        exports: Object.keys(adapter).sort(),
        prefix: adapter.KV_SESSION_KEY_PREFIX,
        expiresIn: adapter.KV_SESSION_EXPIRES_IN,
        updateAge: adapter.KV_SESSION_UPDATE_AGE,
        members: Object.keys(adapter.kvSecondaryStorage(env)).sort(),
        betterAuthKvOptions: { ...options, secondaryStorage: Object.keys(options.secondaryStorage).sort() },
        verificationOptions: adapter.KV_VERIFICATION_OPTIONS,
        rateLimitStorage: adapter.KV_RATE_LIMIT_STORAGE,
      };
    }
    case "get":
      return storageFor(env, body).get(body.key);
    case "set":
      return storageFor(env, body).set(body.key, valueOf(body), body.ttl);
    case "delete":
      return storageFor(env, body).delete(body.key);
    case "getAndDelete":
      return storageFor(env, body).getAndDelete(body.key);
    case "increment":
      return storageFor(env, body).increment(body.key, body.ttl);
    case "construct":
      storageFor(env, body);
      return "constructed";
    default:
      throw new Error(`unknown op ${body.op}`);
  }
}

export default {
  async fetch(request, env) {
    const body = await request.json();
    try {
      const result = await call(env, body);
      return Response.json({ ok: true, result: result === undefined ? null : result });
    } catch (error) {
      return Response.json({
        ok: false,
        error: { name: error?.name ?? null, code: error?.code ?? null, message: String(error?.message ?? error) },
      });
    }
  },
};

// (d) Better Auth end to end on the generated adapter, sessions in a real Miniflare KV
// namespace:
//   betterAuth({ database: memoryAdapter(db), ...betterAuthKvOptions(env), ... })
// Sign-up, get-session, sign-out (the session leaves KV), sign-in, password reset
// usable exactly once (and revoking the KV sessions), rate limiting answering 429
// (counted in isolate memory: the database has no rateLimit table) — with
// instrumentation proving getAndDelete and increment are never called.
// Every project runs on Better Auth 1.7 (the newest line) twice: Better Auth in Node
// talking to KV through Miniflare's binding proxy (mf.getKVNamespace), and Better Auth
// bundled into a worker in workerd. The first project also runs, in workerd, on each
// older line (1.4, 1.5, 1.6.9, 1.6: BETTER_AUTH_LINES).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { BASE_URL, RATE_LIMIT, createTestAuth } from "./support/auth-app.mjs";
import {
  BETTER_AUTH_LINES,
  COMPATIBILITY_DATE,
  REAL_DIR,
  adapterBinding,
  adapterConstants,
  adapterProjects,
  bundle,
  PROJECT_CONCURRENCY,
  requirePrerequisites,
  skipUnlessReady,
  tempWorkspace,
  jsonOrText,
  listAll,
} from "./support/env.mjs";

const projectsWithAdapter = (() => {
  try {
    return adapterProjects();
  } catch (e) {
    return e;
  }
})();

/** A browser-like client: one cookie jar, one client IP. */
class Client {
  constructor(send, ip) {
    this.send = send;
    this.ip = ip;
    this.cookies = new Map();
  }

  async request(method, route, body) {
    const headers = { origin: BASE_URL, "x-forwarded-for": this.ip };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    }
    const res = await this.send(
      new Request(`${BASE_URL}/api/auth${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, body: jsonOrText(await res.text()) };
  }
}


let scenarioCount = 0;

/**
 * The end-to-end scenario. `send(Request) -> Response` reaches Better Auth;
 * `state()` returns { calls, resetTokens, rows } from the instrumented app.
 */
async function scenario(t, { send, state, kv, prefix, expiresIn }) {
  const email = `user-${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  const newPassword = "a different, longer passphrase";
  const kvNames = async () => (await listAll(kv)).map((k) => k.name);
  // One client address per client (each app instance counts its own rate limits).
  // Better Auth's "memory" rate-limit store is one Map per process, shared by every
  // instance: scenarios running in the same Node process must not share addresses.
  const run = ++scenarioCount;
  let ipCounter = 0;
  const freshIp = () => `10.${(run >> 8) & 255}.${run & 255}.${++ipCounter}`;
  // The adapter stores TTLs under 60 s as 60 s (KV's minimum).
  const sessionTtl = Math.max(60, expiresIn);
  const client = new Client(send, freshIp());
  let userId;
  let firstToken;

  await t.test("sign-up stores the session in KV under the prefix and as a database row", async () => {
    const start = Math.floor(Date.now() / 1000);
    const r = await client.request("POST", "/sign-up/email", { email, password, name: "Test User" });
    const end = Math.ceil(Date.now() / 1000);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    firstToken = r.body.token;
    userId = r.body.user.id;
    assert.equal(typeof firstToken, "string");
    const entry = (await listAll(kv)).find((k) => k.name === prefix + firstToken);
    assert.ok(entry, `session ${prefix + firstToken} not in KV: ${JSON.stringify(await kvNames())}`);
    // Expires with the session (configured expiresIn, at least 60 s), give or take the clock.
    assert.ok(
      entry.expiration >= start + sessionTtl - 2 && entry.expiration <= end + sessionTtl,
      `KV expiration ${entry.expiration}, expected ${start + sessionTtl}..${end + sessionTtl}`,
    );
    const stored = JSON.parse(await kv.get(prefix + firstToken));
    assert.equal(stored.user.email, email);
    assert.equal(stored.session.userId, userId);
    assert.ok((await kvNames()).includes(`${prefix}active-sessions-${userId}`));
    // storeSessionInDatabase (the default wiring): the database stays the source of truth.
    assert.equal((await state()).rows.session, 1, "the session is also a database row");
  });

  await t.test("get-session reads it back", async () => {
    const r = await client.request("GET", "/get-session");
    assert.equal(r.status, 200);
    assert.equal(r.body?.user?.email, email);
    assert.equal(r.body?.session?.token, firstToken);
  });

  await t.test("sign-out removes the session from KV", async () => {
    const stale = new Client(send, freshIp());
    stale.cookies = new Map(client.cookies);
    const r = await client.request("POST", "/sign-out", {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(await kv.get(prefix + firstToken), null);
    assert.ok(!(await kvNames()).includes(prefix + firstToken));
    // The old cookie no longer gives a session.
    const again = await stale.request("GET", "/get-session");
    assert.equal(again.status, 200);
    assert.equal(again.body, null);
  });

  const signedIn = new Client(send, freshIp());
  let secondToken;
  await t.test("sign-in creates a new KV session", async () => {
    const r = await signedIn.request("POST", "/sign-in/email", { email, password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    secondToken = r.body.token;
    assert.notEqual(secondToken, firstToken);
    assert.ok(await kv.get(prefix + secondToken));
    const s = await signedIn.request("GET", "/get-session");
    assert.equal(s.body?.user?.email, email);
  });

  await t.test("password reset works exactly once and revokes KV sessions", async () => {
    const resetter = new Client(send, freshIp());
    const before = (await state()).resetTokens.length;
    const req = await resetter.request("POST", "/request-password-reset", { email, redirectTo: "/reset" });
    assert.equal(req.status, 200, JSON.stringify(req.body));
    const tokens = (await state()).resetTokens;
    assert.equal(tokens.length, before + 1, "sendResetPassword was not called");
    const token = tokens.at(-1);
    assert.ok((await state()).rows.verification >= 1, "the reset token should be kept in the database");

    const first = await new Client(send, freshIp()).request("POST", "/reset-password", { newPassword, token });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await new Client(send, freshIp()).request("POST", "/reset-password", {
      newPassword: "yet another passphrase 123",
      token,
    });
    assert.equal(second.status, 400, `token reused: ${JSON.stringify(second.body)}`);

    // revokeSessionsOnPasswordReset: the signed-in session is gone from KV.
    assert.equal(await kv.get(prefix + secondToken), null);
    assert.ok(!(await kvNames()).some((n) => n.startsWith(`${prefix}verification:`)), "verification left in KV");

    const oldPw = await new Client(send, freshIp()).request("POST", "/sign-in/email", { email, password });
    assert.equal(oldPw.status, 401, JSON.stringify(oldPw.body));
    const newPw = await new Client(send, freshIp()).request("POST", "/sign-in/email", { email, password: newPassword });
    assert.equal(newPw.status, 200, JSON.stringify(newPw.body));
    assert.ok(await kv.get(prefix + newPw.body.token));
  });

  await t.test("rate limiting answers 429, counted in memory: not in KV, no rateLimit table", async () => {
    const attacker = new Client(send, freshIp());
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await attacker.request("POST", "/sign-in/email", { email, password: "wrong password!" })).status);
    }
    // The app's custom rule for /sign-in/email: 3 per 60 s.
    assert.deepEqual(statuses, [401, 401, 401, 429]);

    const poller = new Client(send, freshIp());
    const polls = [];
    for (let i = 0; i <= RATE_LIMIT.max; i++) polls.push((await poller.request("GET", "/get-session")).status);
    assert.deepEqual(polls, [...Array(RATE_LIMIT.max).fill(200), 429]);

    assert.equal((await state()).rows.rateLimit, undefined, "the database has no rateLimit table");
    const names = await kvNames();
    assert.ok(!names.some((n) => n.includes("|/")), `rate-limit keys in KV: ${JSON.stringify(names)}`);
  });

  await t.test("getAndDelete and increment were never called", async () => {
    const { calls } = await state();
    assert.equal(calls.getAndDelete, 0);
    assert.equal(calls.increment, 0);
    assert.ok(calls.get > 0 && calls.set > 0 && calls.delete > 0, JSON.stringify(calls));
  });

  await t.test("every KV key carries the prefix", async () => {
    for (const name of await kvNames()) assert.ok(name.startsWith(prefix), name);
  });
}

/** Every project on the newest line; the first project also on every older line. */
function runs(projectsList) {
  const newest = BETTER_AUTH_LINES.find((l) => l.newest);
  const all = projectsList.map((project) => ({ project, line: newest }));
  if (projectsList.length > 0) {
    for (const line of BETTER_AUTH_LINES.filter((l) => !l.newest)) all.push({ project: projectsList[0], line });
  }
  return all;
}

describe("Better Auth end to end, each line", { ...skipUnlessReady(), concurrency: PROJECT_CONCURRENCY }, () => {
  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
    if (projectsWithAdapter instanceof Error) throw projectsWithAdapter;
  });

  if (projectsWithAdapter instanceof Error) return;

  for (const { project, line } of runs(projectsWithAdapter)) {
    describe(`${project.name}, better-auth ${line.version}`, { concurrency: 1 }, () => {
      const binding = adapterBinding(project.adapter);
      const { prefix, expiresIn } = adapterConstants(project.adapter);
      let ws;
      let mfNode;
      let mfWorker;

      // Imported here so that a missing install skips (or, in CI, fails) cleanly.
      let Miniflare;
      let betterAuth;
      let memoryAdapter;

      before(async () => {
        ({ Miniflare } = await import("miniflare"));
        if (line.newest) {
          ({ betterAuth } = await import("better-auth"));
          ({ memoryAdapter } = await import("@better-auth/memory-adapter"));
        }
        const installed = JSON.parse(readFileSync(path.join(line.dir, "package.json"), "utf8")).version;
        assert.equal(installed, line.version, `${line.pkg} is not the pinned ${line.version}`);
        ws = tempWorkspace("better-auth");
      });
      after(async () => {
        // A Miniflare that failed to start rethrows that failure here; the test has
        // already reported it.
        await mfNode?.dispose().catch(() => {});
        await mfWorker?.dispose().catch(() => {});
        ws?.cleanup();
      });

      // Older lines run in workerd only (where apps run them); 1.7 in both.
      if (line.newest) test("in Node, KV through Miniflare's binding proxy", async (t) => {
        const { outfile: adapterModule, betterAuthLines } = await bundle({
          entry: project.adapter,
          adapterPath: project.adapter,
          outfile: path.join(ws.dir, "adapter.mjs"),
          platform: "node",
        });
        // The adapter imports only types from Better Auth: no Better Auth code in it.
        assert.deepEqual(betterAuthLines, []);
        const { betterAuthKvOptions } = await import(pathToFileURL(adapterModule).href);
        mfNode = new Miniflare({
          modules: true,
          script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
          compatibilityDate: COMPATIBILITY_DATE,
          kvNamespaces: [binding],
        });
        const kv = await mfNode.getKVNamespace(binding);
        const app = createTestAuth({ betterAuth, memoryAdapter, betterAuthKvOptions, env: { [binding]: kv } });
        await scenario(t, {
          send: (request) => app.auth.handler(request),
          state: async () => app.state(),
          kv,
          prefix,
          expiresIn,
        });
      });

      test("in workerd, Better Auth bundled into a worker", async (t) => {
        const { outfile: script, betterAuthLines } = await bundle({
          entry: path.join(REAL_DIR, "workers", "better-auth-worker.mjs"),
          adapterPath: project.adapter,
          outfile: path.join(ws.dir, "better-auth-worker.mjs"),
          platform: "neutral",
          betterAuth: line.pkg,
        });
        assert.deepEqual(betterAuthLines, [line.pkg], "the worker bundles the line under test");
        mfWorker = new Miniflare({
          // Listed explicitly: Miniflare's own dependency walk refuses the bundle's
          // dynamic `import(nodeSqlite)` (Kysely's optional node:sqlite support).
          modules: [{ type: "ESModule", path: script, contents: readFileSync(script, "utf8") }],
          modulesRoot: ws.dir,
          compatibilityDate: COMPATIBILITY_DATE,
          compatibilityFlags: ["nodejs_compat"],
          kvNamespaces: [binding],
        });
        const kv = await mfWorker.getKVNamespace(binding);
        const send = async (request) => {
          const res = await mfWorker.dispatchFetch(request.url, {
            method: request.method,
            headers: request.headers,
            body: request.body === null ? undefined : await request.text(),
            redirect: "manual",
          });
          return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
        };
        await scenario(t, {
          send,
          state: async () => (await mfWorker.dispatchFetch(`${BASE_URL}/__test/state`)).json(),
          kv,
          prefix,
          expiresIn,
        });
      });
    });
  }
});

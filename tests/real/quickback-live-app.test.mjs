// (f) A live Quickback app keeps its users (issue 15, SPEC §3.4.1): the Quickback-shaped
// worker (workers/quickback-app) under `wrangler dev` with ONE persisted local state
// (`--persist-to`) across every restart, the way a deployed app keeps its data across
// deploys, on Better Auth 1.6.9 (what Quickback's lockfile resolves) and 1.7.29:
//   1. unwired (Quickback's own files): a user signs in three times; sessions are D1 rows;
//   2. `quickback-kv build`, restart: the old sessions are valid by bearer and cookie, the
//      cookie is not cleared; a new sign-in is in KV and D1; the old sessions are listed
//      (1.7.8+), signed out and revoked (revoke-session; revoke-other-sessions 1.7.8+);
//   3. KV off (`session: { storage: "database" }`), build, restart: nobody signed out;
//      while off, change-password with revokeOtherSessions;
//   4. on again, build, restart: the revoked session stays revoked (its old key is still
//      in KV); eight concurrent sign-ins of one user, update-user seen by every session,
//      `revoke-sessions` leaves none valid (1.7.16+); refresh after updateAge; an expired
//      session's keys go; every KV key has an expiration.
// On 1.6.9 the checks that need 1.7.8 / 1.7.16 are replaced by the build's warning.
//
// Inputs: QK_BIN (the quickback-kv binary, run on the project in place), or
// QK_HAND_WIRED=1 (workers/quickback-app.hand-wired.auth.ts and the adapter rendered
// from templates/, with a new key prefix per on-period: checks this test, not the
// compiler); CI=true (a missing prerequisite fails instead of skipping).

import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ADAPTER, BETTER_AUTH_LINES, IS_CI, REAL_DIR, TOOLS, adapterConstants, listAll, run, tempWorkspace } from "./support/env.mjs";
import { EXPIRES_IN, UPDATE_AGE, client, migrate, openState, startDev, stopDev } from "./support/quickback-dev.mjs";
import { renderAdapter } from "./support/scratch-projects.mjs";

const APP = path.join(REAL_DIR, "workers", "quickback-app");
const HAND_WIRED_AUTH = path.join(REAL_DIR, "workers", "quickback-app.hand-wired.auth.ts");
const HAND_WIRED = process.env.QK_HAND_WIRED === "1";
const QK_BIN = process.env.QK_BIN;
const CONFIG = "quickback/quickback.config.ts";
const SESSION_COOKIE = "better-auth.session_token";

/** The versions the scenario runs on: Quickback's own and the newest pinned. */
const LIVE_LINES = BETTER_AUTH_LINES.filter((l) => l.line === "1.6.9" || l.line === "1.7.29");

/** Whether `version` is at least `min` (x.y.z). */
function atLeast(version, min) {
  const a = version.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

function missing() {
  if (!existsSync(TOOLS.wrangler)) return "tests/node_modules is missing: run `npm ci --prefix tests`";
  if (Number(process.versions.node.split(".")[0]) < 22) return "needs Node 22 (tests/node_modules/.bin/node)";
  if (LIVE_LINES.length !== 2) return "Better Auth 1.6.9 and 1.7.29 are not both pinned (tests/package.json)";
  if (!HAND_WIRED && !QK_BIN) return "QK_BIN is not set (the quickback-kv binary), nor QK_HAND_WIRED=1";
  if (!HAND_WIRED && !existsSync(QK_BIN)) return `QK_BIN=${QK_BIN} does not exist`;
  return null;
}
const why = missing();
const skip = why && !IS_CI ? why : false;

/**
 * Turns KV sessions on or off in `dir` as a team would: edit the config, run `build`
 * (with the wall clock as SOURCE_DATE_EPOCH, as a deploy would have it). Hand-wired:
 * the wired auth module and an adapter with the key prefix `session:<period>:` (on),
 * or Quickback's own auth module back (off). Resolves to the build's result or null.
 */
async function setKv(dir, { on, period }) {
  const configPath = path.join(dir, CONFIG);
  const config = readFileSync(configPath, "utf8");
  const off = 'session: {\n        storage: "database",\n';
  const onText = "session: {\n";
  const edited = on ? config.replace(off, onText) : config.replace(/session: \{\n(?! {8}storage)/, off);
  assert.ok(edited !== config || (on && !config.includes(off)), `the config's session object was not found:\n${config}`);
  writeFileSync(configPath, edited);
  if (HAND_WIRED) {
    if (!on) {
      cpSync(path.join(APP, "src/lib/auth.ts"), path.join(dir, "src/lib/auth.ts"));
      return null;
    }
    cpSync(HAND_WIRED_AUTH, path.join(dir, "src/lib/auth.ts"));
    const adapter = renderAdapter({
      config_path: CONFIG,
      command: "quickback-kv build",
      binding: "KV",
      key_prefix: JSON.stringify(`session:${period}:`),
      period_record: `${period} (in use)`,
      expires_in: EXPIRES_IN,
      update_age: UPDATE_AGE,
      store_in_database: true,
    });
    writeFileSync(path.join(dir, ADAPTER), adapter);
    return null;
  }
  const epoch = String(Math.floor(Date.now() / 1000));
  const r = await run(QK_BIN, ["build", "--root", dir], { node: false, env: { NO_COLOR: "1", SOURCE_DATE_EPOCH: epoch } });
  assert.equal(r.code, 0, `quickback-kv build failed:\n${r.stdout}${r.stderr}`);
  return r;
}

/** The session cookie (`name=value`) a sign-in set. */
function sessionCookie(res) {
  const c = res.setCookies.find((s) => s.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(c, `no ${SESSION_COOKIE} cookie in ${JSON.stringify(res.setCookies)}`);
  return c.split(";")[0];
}

/** Whether a response clears the session cookie. */
const clearsCookie = (res) =>
  res.setCookies.some((s) => s.startsWith(`${SESSION_COOKIE}=`) && (/max-age=0\b/i.test(s) || s.startsWith(`${SESSION_COOKIE}=;`)));

for (const line of LIVE_LINES) {
  describe(`a live Quickback app on better-auth ${line.version}: KV sessions on, off, on`, { skip, concurrency: 1 }, () => {
    const has = { listing: atLeast(line.version, "1.7.8"), revokeAll: atLeast(line.version, "1.7.16") };
    let ws;
    let dir;
    let persist;
    let dev;
    let closeState;
    let kv;
    let d1;
    let ipCounter = 0;
    const freshIp = () => `198.51.100.${++ipCounter}`;
    const http = () => client(dev.baseURL, freshIp());
    const password = "correct horse battery staple";
    const email = `live-${line.pkg}@example.com`;
    const builds = [];
    /** Key prefixes of the on-periods, in order. */
    const prefixes = [];
    /** Sessions by name: { token, bearer, cookie }. */
    const s = {};

    async function restart() {
      await stopDev(dev);
      dev = await startDev(dir, { persistTo: persist });
    }
    async function signIn(who = email, pass = password) {
      const r = await http()("POST", "/auth/v1/sign-in/email", { body: { email: who, password: pass } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.authToken, "no set-auth-token header (bearer plugin)");
      return { token: r.body.token, bearer: r.authToken, cookie: sessionCookie(r) };
    }
    /** get-session by bearer and by cookie; asserts both agree and neither clears the cookie. */
    async function state(session) {
      const byBearer = await http()("GET", "/auth/v1/get-session", { bearer: session.bearer });
      const byCookie = await http()("GET", "/auth/v1/get-session", { cookie: session.cookie });
      assert.equal(byBearer.status, 200);
      assert.equal(byCookie.status, 200);
      assert.equal(byBearer.body?.session?.token ?? null, byCookie.body?.session?.token ?? null, "bearer and cookie disagree");
      return { body: byBearer.body, valid: byBearer.body?.session?.token === session.token, cleared: clearsCookie(byCookie) };
    }
    async function assertValid(session, what) {
      const st = await state(session);
      assert.ok(st.valid, `${what}: signed out (${JSON.stringify(st.body)})`);
      assert.ok(!st.cleared, `${what}: the cookie was cleared`);
      return st.body;
    }
    async function assertSignedOut(session, what) {
      const st = await state(session);
      assert.ok(!st.valid, `${what}: still valid`);
    }
    const dbRow = (token) => d1.prepare("SELECT expires_at AS expiresAt FROM session WHERE token = ?").bind(token).first();
    const kvKey = async (name) => (await listAll(kv)).find((k) => k.name === name);
    const prefix = () => prefixes.at(-1);

    before(async () => {
      if (why) return;
      ws = tempWorkspace(`quickback-live-${line.pkg}`, { betterAuth: line.pkg });
      dir = ws.dir;
      persist = path.join(dir, ".state");
      cpSync(APP, dir, { recursive: true });
      await migrate(dir, { persistTo: persist });
      dev = await startDev(dir, { persistTo: persist });
      ({ kv, d1, dispose: closeState } = await openState(persist));
    });
    after(async () => {
      await closeState?.().catch(() => {});
      await stopDev(dev);
      ws?.cleanup();
    });

    test("prerequisites", () => {
      assert.equal(why, null, `CI=true but the live-app test cannot run: ${why}`);
    });

    test("unwired: sign-ins are D1 rows, valid by bearer and by cookie", async () => {
      const up = await http()("POST", "/auth/v1/sign-up/email", { body: { email, password, name: "Live User" } });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      s.a = await signIn();
      s.b = await signIn();
      s.c = await signIn();
      for (const name of ["a", "b", "c"]) {
        await assertValid(s[name], `pre-switch session ${name}`);
        assert.ok(await dbRow(s[name].token), `session ${name} is not in D1`);
      }
      assert.deepEqual(await listAll(kv), [], "KV used before quickback-kv");
    });

    test("build wires KV sessions with the database as the source of truth", { skip: HAND_WIRED && "QK_HAND_WIRED=1: no build" }, async () => {
      builds.push(await setKv(dir, { on: true, period: 1 }));
      assert.match(readFileSync(path.join(dir, "src/lib/auth.ts"), "utf8"), /^\s+storeSessionInDatabase: true, \/\/ quickback-kv/m);
    });

    // The warnings that replace the checks this version fails (REFERENCE.md, "KV
    // sessions in practice"): below 1.7.8 listing, below 1.7.16 revoke-sessions.
    test(`the build names Better Auth ${line.version} and warns below 1.7.8 and 1.7.16`, { skip: HAND_WIRED && "QK_HAND_WIRED=1: no build" }, () => {
      const out = builds[0].stdout + builds[0].stderr;
      assert.ok(out.includes(line.version), `the report does not name Better Auth ${line.version}:\n${out}`);
      for (const [code, min] of [["auth::better-auth-lists-kv-only", "1.7.8"], ["auth::better-auth-revoke-race", "1.7.16"]]) {
        assert.equal(out.includes(code), !atLeast(line.version, min), `${code} (below ${min}) on ${line.version}:\n${out}`);
      }
    });

    test("after build and a restart: the old sessions are valid by bearer and cookie, the cookie kept", async () => {
      if (HAND_WIRED) await setKv(dir, { on: true, period: 1 });
      prefixes.push(adapterConstants(path.join(dir, ADAPTER)).prefix);
      await restart();
      for (const name of ["a", "b", "c"]) await assertValid(s[name], `pre-switch session ${name}`);
    });

    test("a new sign-in is in KV (expiring with the session) and in D1", async () => {
      const start = Math.floor(Date.now() / 1000);
      s.n1 = await signIn();
      const end = Math.ceil(Date.now() / 1000);
      const entry = await kvKey(prefix() + s.n1.token);
      assert.ok(entry, `no ${prefix()}${s.n1.token} in KV: ${JSON.stringify((await listAll(kv)).map((k) => k.name))}`);
      assert.ok(entry.expiration >= start + EXPIRES_IN - 2 && entry.expiration <= end + EXPIRES_IN, `expiration ${entry.expiration}`);
      assert.equal(JSON.parse(await kv.get(entry.name)).user.email, email);
      assert.ok(await dbRow(s.n1.token), "the new session is not in D1 (the database stays the source of truth)");
      await assertValid(s.n1, "new session");
    });

    test("the old sessions are listed (1.7.8+)", { skip: !has.listing && `replaced by the build's warning on ${line.version}` }, async () => {
      const r = await http()("GET", "/auth/v1/list-sessions", { bearer: s.n1.bearer });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const listed = r.body.map((x) => x.token);
      for (const name of ["a", "b", "c", "n1"]) assert.ok(listed.includes(s[name].token), `session ${name} not listed: ${JSON.stringify(listed)}`);
    });

    test("an old session signs out, another is revoked, like any other", async () => {
      const out = await http()("POST", "/auth/v1/sign-out", { body: {}, bearer: s.a.bearer });
      assert.equal(out.status, 200, JSON.stringify(out.body));
      await assertSignedOut(s.a, "signed-out session a");
      assert.equal(await dbRow(s.a.token), null, "session a's row is still in D1");
      const rev = await http()("POST", "/auth/v1/revoke-session", { body: { token: s.b.token }, bearer: s.n1.bearer });
      assert.equal(rev.status, 200, JSON.stringify(rev.body));
      await assertSignedOut(s.b, "revoked session b");
      assert.equal(await dbRow(s.b.token), null, "session b's row is still in D1");
      await assertValid(s.n1, "session n1");
    });

    test("revoke-other-sessions reaches a pre-switch session (1.7.8+)", { skip: !has.listing && `replaced by the build's warning on ${line.version}` }, async () => {
      const r = await http()("POST", "/auth/v1/revoke-other-sessions", { body: {}, bearer: s.n1.bearer });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await assertSignedOut(s.c, "session c after revoke-other-sessions");
      await assertValid(s.n1, "session n1");
    });

    test("KV off (storage: database), build, restart: nobody signed out", async () => {
      builds.push(await setKv(dir, { on: false }));
      await restart();
      await assertValid(s.n1, "session n1 (signed in while KV was on)");
      s.off = await signIn();
      await assertValid(s.off, "session signed in while KV is off");
    });

    test("while off: change-password with revokeOtherSessions signs the others out", async () => {
      const newPassword = "a different, longer passphrase";
      const r = await http()("POST", "/auth/v1/change-password", {
        body: { currentPassword: password, newPassword, revokeOtherSessions: true },
        bearer: s.off.bearer,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      s.afterChange = { token: r.body.token, bearer: r.authToken ?? r.body.token, cookie: sessionCookie(r) };
      await assertSignedOut(s.n1, "session n1 after change-password");
      // Its key from the first on-period is still in KV (nothing deleted it while off).
      assert.ok(await kv.get(prefixes[0] + s.n1.token), "n1's key left KV while KV was off: the next check would prove nothing");
      s.password = newPassword;
    });

    test("on again, build, restart: the revoked session stays revoked", async () => {
      builds.push(await setKv(dir, { on: true, period: 2 }));
      prefixes.push(adapterConstants(path.join(dir, ADAPTER)).prefix);
      await restart();
      await assertSignedOut(s.n1, "session n1 revoked while KV was off");
      await assertValid(s.afterChange, "the session change-password made");
      assert.notEqual(prefixes[1], prefixes[0], "the same key namespace as the first on-period");
    });

    test("update-user is seen by every session signed in one after another", async () => {
      const sessions = [s.afterChange, await signIn(email, s.password), await signIn(email, s.password)];
      const r = await http()("POST", "/auth/v1/update-user", { body: { name: "Live User, renamed" }, bearer: sessions[1].bearer });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const [i, m] of sessions.entries()) assert.equal((await assertValid(m, `session ${i}`)).user.name, "Live User, renamed", `session ${i} sees a stale user`);
    });

    describe("eight concurrent sign-ins of one user", { concurrency: 1 }, () => {
      const other = `live-many-${line.pkg}@example.com`;
      let many = [];

      test("all valid", async () => {
        const up = await http()("POST", "/auth/v1/sign-up/email", { body: { email: other, password, name: "Many Sessions" } });
        assert.equal(up.status, 200, JSON.stringify(up.body));
        many = await Promise.all(Array.from({ length: 8 }, () => signIn(other)));
        for (const [i, m] of many.entries()) await assertValid(m, `concurrent session ${i}`);
      });

      // Known failure on 1.6.9 and 1.7.29 alike, kept visible as a todo: Better Auth
      // rewrites the cached user only in the sessions of its `active-sessions-<userId>`
      // list (refreshUserSessions), which concurrent sign-ins overwrite without a lock.
      test("update-user is seen by every session", { todo: "Better Auth's active-sessions list race (see the report of issue 15)" }, async () => {
        const r = await http()("POST", "/auth/v1/update-user", { body: { name: "Renamed" }, bearer: many[0].bearer });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const stale = [];
        for (const [i, m] of many.entries()) if ((await assertValid(m, `session ${i}`)).user.name !== "Renamed") stale.push(i);
        assert.deepEqual(stale, [], `sessions that see a stale user: ${stale.join(", ")} of 0..7`);
      });

      test("listed, and revoke-sessions leaves none valid (1.7.16+)", { skip: !has.revokeAll && `replaced by the build's warning on ${line.version}` }, async () => {
        const listed = await http()("GET", "/auth/v1/list-sessions", { bearer: many[0].bearer });
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        const tokens = listed.body.map((x) => x.token);
        for (const [i, m] of many.entries()) assert.ok(tokens.includes(m.token), `session ${i} not listed`);
        const r = await http()("POST", "/auth/v1/revoke-sessions", { body: {}, bearer: many[0].bearer });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        for (const [i, m] of many.entries()) await assertSignedOut(m, `session ${i} after revoke-sessions`);
      });
    });

    test("a session older than updateAge is refreshed, in KV and in D1", async () => {
      const session = await signIn(email, s.password);
      const key = prefix() + session.token;
      const aged = Date.now() + (EXPIRES_IN - UPDATE_AGE - 60) * 1000;
      const value = JSON.parse(await kv.get(key));
      value.session.expiresAt = new Date(aged).toISOString();
      await kv.put(key, JSON.stringify(value), { expiration: Math.floor(aged / 1000) });
      await d1.prepare("UPDATE session SET expires_at = ? WHERE token = ?").bind(aged, session.token).run();
      const start = Date.now();
      const body = await assertValid(session, "aged session");
      const refreshed = new Date(body.session.expiresAt).getTime();
      assert.ok(refreshed >= start + (EXPIRES_IN - 2) * 1000, `not refreshed: expiresAt ${body.session.expiresAt}`);
      const entry = await kvKey(key);
      assert.ok(entry && entry.expiration >= Math.floor(start / 1000) + EXPIRES_IN - 2, `KV expiration not moved: ${JSON.stringify(entry)}`);
      assert.ok((await dbRow(session.token)).expiresAt >= start + (EXPIRES_IN - 2) * 1000, "D1 expires_at not moved");
    });

    test("an expired session is signed out and its keys go", async () => {
      const session = await signIn(email, s.password);
      const key = prefix() + session.token;
      const past = Date.now() - 10_000;
      const value = JSON.parse(await kv.get(key));
      value.session.expiresAt = new Date(past).toISOString();
      // KV cannot hold an expiration in the past: the key lives 60 s more, its value says expired.
      await kv.put(key, JSON.stringify(value), { expirationTtl: 60 });
      await d1.prepare("UPDATE session SET expires_at = ? WHERE token = ?").bind(past, session.token).run();
      const st = await state(session);
      assert.ok(!st.valid, `an expired session is valid: ${JSON.stringify(st.body)}`);
      assert.equal(await kv.get(key), null, "the expired session's key is still in KV");
      assert.equal(await dbRow(session.token), null, "the expired session's row is still in D1");
    });

    test("every KV key has an expiration and a known prefix; the worker logged no error", async () => {
      const keys = await listAll(kv);
      assert.ok(keys.length > 0);
      for (const k of keys) {
        assert.ok(typeof k.expiration === "number" && k.expiration > Date.now() / 1000, `${k.name} has no expiration`);
        assert.ok(prefixes.some((p) => k.name.startsWith(p)), `${k.name} has none of the prefixes ${JSON.stringify(prefixes)}`);
      }
      assert.doesNotMatch(dev.output, /KvSecondaryStorageError|Model rateLimit|\[ERROR\]|Uncaught/);
    });

    test("no build warned that it signs users out (KV sessions were a cache throughout)", { skip: HAND_WIRED && "QK_HAND_WIRED=1: no build" }, () => {
      assert.equal(builds.length, 3);
      for (const b of builds) assert.ok(!(b.stdout + b.stderr).includes("auth::signs-users-out"), b.stdout + b.stderr);
    });
  });
}

// (e) A Quickback-shaped worker (workers/quickback-app: Hono, Better Auth with the
// drizzle adapter on D1, an auth module, env.d.ts and wrangler.toml shaped like the
// files `quickback compile` generates, no `rateLimit` table), wired by
// `quickback-kv build`, then run for real:
//   - `tsc` on the whole worker (the app's own tsconfig: strict) with Better Auth
//     1.4.22, 1.6.9 and 1.7.25 (tsc.test.mjs checks the wired form with every line);
//   - `wrangler d1 migrations apply --local` and `wrangler dev` (offline) with Better
//     Auth 1.6.9 (what Quickback's own lockfile resolves) and 1.7.25: sign-up; sign-in
//     puts the session key in KV (and a row in D1: storeSessionInDatabase); bearer get-session; the sixth
//     sign-in from one IP in a minute answers 429; a password-reset token works
//     once; sign-out removes the KV key; wrangler's own `kv key list` agrees.
//
// Inputs:
//   QK_BIN=path        the quickback-kv binary; `build` runs on a copy of the project
//                      and the wiring it writes is checked line by line.
//   QK_HAND_WIRED=1    instead of `build`, use workers/quickback-app.hand-wired.auth.ts
//                      (the exact wired form: the lines `build` inserts, listed in WIRED_LINES)
//                      and the adapter rendered from templates/ by substitution: checks
//                      this test and the adapter without the compiler's wiring.
//   CI=true            a missing prerequisite fails instead of skipping.

import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { EXPIRES_IN, KV_ID, UPDATE_AGE, WRANGLER_ENV, client, migrate, openState, startDev, stopDev } from "./support/quickback-dev.mjs";
import { renderAdapter } from "./support/scratch-projects.mjs";
import {
  ADAPTER,
  BETTER_AUTH_LINES,
  IS_CI,
  NODE_MODULES,
  REAL_DIR,
  TOOLS,
  adapterConstants,
  run,
  tempWorkspace,
} from "./support/env.mjs";

const APP = path.join(REAL_DIR, "workers", "quickback-app");
const HAND_WIRED_AUTH = path.join(REAL_DIR, "workers", "quickback-app.hand-wired.auth.ts");
const HAND_WIRED = process.env.QK_HAND_WIRED === "1";
const QK_BIN = process.env.QK_BIN;

/** The adapter's key prefix: `session:` when hand-wired, else read from what `build` wrote. */
let PREFIX = "session:";

/**
 * The wired form: each line quickback-kv inserts into Quickback's auth module, with
 * the line after which it goes (leading whitespace aside).
 */
const WIRED_LINES = [
  {
    after: 'import type { CloudflareBindings } from "../env";',
    text: 'import { KV_VERIFICATION_OPTIONS, kvSecondaryStorage } from "./kv-session-storage"; // quickback-kv: sessions in Workers KV',
  },
  {
    after: "},", // the end of `customRules: { ... },` inside the existing rateLimit object
    text: 'storage: "memory", // quickback-kv: rate limits stay in isolate memory, where they were before secondaryStorage',
  },
  {
    after: "updateAge: 1 * 24 * 60 * 60,", // inside the app's own `session` object
    text: "storeSessionInDatabase: true, // quickback-kv: the database stays the source of truth for sessions; KV caches them",
  },
  {
    after: "}),", // the end of `database: drizzleAdapter(db, { ... }),`
    text: "secondaryStorage: env ? kvSecondaryStorage(env) : undefined, // quickback-kv: sessions in Workers KV",
  },
  {
    after: "secondaryStorage: env ? kvSecondaryStorage(env) : undefined, // quickback-kv: sessions in Workers KV",
    text: "verification: { ...KV_VERIFICATION_OPTIONS }, // quickback-kv: single-use tokens consumed from the database, not KV",
  },
];

/** The Better Auth lines run under `wrangler dev` (the others are type-checked only). */
const DEV_LINES = BETTER_AUTH_LINES.filter((l) => l.line === "1.6.9" || l.newest);

function missing() {
  if (!existsSync(TOOLS.wrangler) || !existsSync(TOOLS.tsc)) return "tests/node_modules is missing: run `npm ci --prefix tests`";
  if (Number(process.versions.node.split(".")[0]) < 22) return "needs Node 22 (tests/node_modules/.bin/node)";
  if (!HAND_WIRED && !QK_BIN) return "QK_BIN is not set (the quickback-kv binary), nor QK_HAND_WIRED=1";
  if (!HAND_WIRED && !existsSync(QK_BIN)) return `QK_BIN=${QK_BIN} does not exist`;
  return null;
}
const why = missing();
const skip = why && !IS_CI ? why : false;

/** The project as `build` (or the hand-wired copy) leaves it, in `dir`. */
async function wireProject(dir) {
  cpSync(APP, dir, { recursive: true });
  if (HAND_WIRED) {
    cpSync(HAND_WIRED_AUTH, path.join(dir, "src/lib/auth.ts"));
    writeFileSync(
      path.join(dir, "src/lib/kv-session-storage.ts"),
      renderAdapter({
        config_path: "quickback/quickback.config.ts",
        command: "quickback-kv build",
        binding: "KV",
        key_prefix: JSON.stringify(PREFIX),
        period_record: "none (in use)",
        expires_in: EXPIRES_IN,
        update_age: UPDATE_AGE,
        store_in_database: true,
      }),
    );
    return { build: null };
  }
  const first = await run(QK_BIN, ["build", "--root", dir], { node: false, env: { NO_COLOR: "1" } });
  const wiredOnce = existsSync(path.join(dir, "src/lib/auth.ts")) ? readFileSync(path.join(dir, "src/lib/auth.ts"), "utf8") : null;
  const second = first.code === 0 ? await run(QK_BIN, ["build", "--root", dir], { node: false, env: { NO_COLOR: "1" } }) : null;
  return { build: { first, second, wiredOnce } };
}

describe("a Quickback-shaped worker wired by quickback-kv", { skip, concurrency: 1 }, () => {
  let ws;
  let wired;
  let build;

  before(async () => {
    if (why) return;
    ws = tempWorkspace("quickback-app-build");
    wired = path.join(ws.dir, "app");
    mkdirSync(wired);
    ({ build } = await wireProject(wired));
    if (existsSync(path.join(wired, ADAPTER))) PREFIX = adapterConstants(path.join(wired, ADAPTER)).prefix;
  });
  /** Why the wired project is not there: a failed build (reported by the wiring test). */
  const notWired = () => (build && (build.first.code !== 0 || build.second?.code !== 0) ? "quickback-kv build failed (see the wiring test)" : null);
  after(() => ws?.cleanup());

  test("prerequisites", () => {
    assert.equal(why, null, `CI=true but the Quickback app test cannot run: ${why}`);
  });

  test(HAND_WIRED ? "the hand-wired auth module (QK_HAND_WIRED=1: not the compiler's wiring)" : "quickback-kv build wires the auth module", () => {
    if (build) {
      assert.equal(build.first.code, 0, `quickback-kv build failed:\n${build.first.stdout}${build.first.stderr}`);
      assert.equal(build.second.code, 0, `the second build failed:\n${build.second.stdout}${build.second.stderr}`);
    }
    const original = readFileSync(path.join(APP, "src/lib/auth.ts"), "utf8");
    const authText = readFileSync(path.join(wired, "src/lib/auth.ts"), "utf8");
    const lines = authText.split("\n");
    for (const w of WIRED_LINES) {
      const at = lines.findIndex((l) => l.trim() === w.text);
      assert.ok(at > 0, `the wired auth module lacks the line\n  ${w.text}\n---\n${authText}`);
      assert.equal(lines[at - 1].trim(), w.after, `\`${w.text}\` is not right after \`${w.after}\``);
      // Indented like the sibling member before it (the import at column 0).
      const indent = (s) => /^\s*/.exec(s)[0];
      assert.equal(indent(lines[at]), w.text.startsWith("import ") ? "" : indent(lines[at - 1]), `indentation of ${w.text}`);
    }
    // Everything else byte for byte: removing the inserted lines gives Quickback's file back.
    const inserted = new Set(WIRED_LINES.map((w) => w.text));
    assert.equal(lines.filter((l) => !inserted.has(l.trim())).join("\n"), original);
    if (build) {
      assert.equal(readFileSync(path.join(wired, "src/lib/auth.ts"), "utf8"), build.wiredOnce, "a second build changed the auth module");
    }
    assert.ok(existsSync(path.join(wired, "src/lib/kv-session-storage.ts")), "no session adapter");
    // The KV binding Quickback wrote is still there with its id, and still typed.
    const toml = readFileSync(path.join(wired, "wrangler.toml"), "utf8");
    assert.match(toml, new RegExp(`\\[\\[kv_namespaces\\]\\][^\\n]*\\nbinding = "KV"\\nid = "${KV_ID}"\\n`));
    assert.match(readFileSync(path.join(wired, "src/env.d.ts"), "utf8"), /^\s+KV: KVNamespace;$/m);
  });

  // The whole worker with the lines it runs under wrangler dev, and with 1.4, whose
  // types differ most (no `verification.storeInDatabase`, three storage members).
  // tsc.test.mjs checks the adapter and the wired form with every line.
  for (const line of BETTER_AUTH_LINES.filter((l) => l.line === "1.4" || DEV_LINES.includes(l))) {
    test(`tsc on the whole worker (its own strict tsconfig) with better-auth ${line.version}`, async () => {
      // The app in a workspace whose node_modules has this line as `better-auth`.
      assert.equal(notWired(), null);
      const lws = tempWorkspace("quickback-app-tsc", { betterAuth: line.pkg });
      try {
        const dir = lws.dir;
        cpSync(wired, dir, { recursive: true });
        const version = JSON.parse(readFileSync(path.join(dir, "node_modules/better-auth/package.json"), "utf8")).version;
        assert.equal(version, line.version);
        const r = await run(TOOLS.tsc, ["-p", ".", "--pretty", "false"], { cwd: dir, timeoutMs: 120_000 });
        const output = (r.stdout + r.stderr).trim();
        assert.ok(r.code === 0 && output === "", `tsc exited ${r.code}:\n${output}`);
      } finally {
        lws.cleanup();
      }
    });
  }

  for (const line of DEV_LINES) {
    describe(`wrangler dev with better-auth ${line.version}`, { concurrency: 1 }, () => {
      let lws;
      let dir;
      let dev;
      let closeState;
      let kv;
      let d1;
      const kvNames = async () => (await kv.list()).keys.map((k) => k.name);
      const email = `quickback-${line.pkg}-${Date.now()}@example.com`;
      const password = "correct horse battery staple";
      const newPassword = "a different, longer passphrase";
      let ipCounter = 0;
      const freshIp = () => `203.0.113.${++ipCounter}`;

      before(async () => {
        if (why || notWired()) return;
        lws = tempWorkspace("quickback-app-dev", { betterAuth: line.pkg });
        dir = lws.dir;
        cpSync(wired, dir, { recursive: true });
        await migrate(dir);
        dev = await startDev(dir);
        ({ kv, d1, dispose: closeState } = await openState(path.join(dir, ".wrangler", "state")));
      });
      after(async () => {
        await closeState?.().catch(() => {});
        await stopDev(dev);
        lws?.cleanup();
      });

      const count = async (table) => (await d1.prepare(`SELECT count(*) AS n FROM "${table}"`).first()).n;
      let signedIn;

      test("sign-up: the user in D1, the session in KV and D1", async () => {
        assert.equal(notWired(), null);
        const start = Math.floor(Date.now() / 1000);
        const r = await client(dev.baseURL, freshIp())("POST", "/auth/v1/sign-up/email", {
          body: { email, password, name: "Quickback User" },
        });
        const end = Math.ceil(Date.now() / 1000);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const entry = (await kv.list()).keys.find((k) => k.name === PREFIX + r.body.token);
        assert.ok(entry, `no ${PREFIX}${r.body.token} in KV: ${JSON.stringify(await kvNames())}`);
        assert.ok(entry.expiration >= start + EXPIRES_IN - 2 && entry.expiration <= end + EXPIRES_IN, `expiration ${entry.expiration}`);
        assert.equal(JSON.parse(await kv.get(entry.name)).user.email, email);
        assert.equal(await count("user"), 1);
        assert.equal(await count("session"), 1, "the database stays the source of truth for sessions");
      });

      test("sign-in puts the session key in KV", async () => {
        assert.equal(notWired(), null);
        const r = await client(dev.baseURL, freshIp())("POST", "/auth/v1/sign-in/email", { body: { email, password } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.authToken, "no set-auth-token header (bearer plugin)");
        signedIn = { token: r.body.token, bearer: r.authToken };
        assert.ok(await kv.get(PREFIX + signedIn.token), `no ${PREFIX}${signedIn.token} in KV`);
        assert.equal(await count("session"), 2);
      });

      test("wrangler kv key list --local shows the same keys", async () => {
        assert.equal(notWired(), null);
        const r = await run(TOOLS.wrangler, ["kv", "key", "list", "--binding", "KV", "--local"], {
          cwd: dir,
          env: WRANGLER_ENV(dir),
          timeoutMs: 60_000,
        });
        assert.equal(r.code, 0, r.stderr);
        const listed = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))).map((k) => k.name).sort();
        assert.ok(listed.includes(PREFIX + signedIn.token), JSON.stringify(listed));
        assert.deepEqual(listed, (await kvNames()).sort());
      });

      test("bearer get-session works (Better Auth's route and the app's own)", async () => {
        assert.equal(notWired(), null);
        const c = client(dev.baseURL, freshIp());
        const r = await c("GET", "/auth/v1/get-session", { bearer: signedIn.bearer });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body?.user?.email, email);
        assert.equal(r.body?.session?.token, signedIn.token);
        const me = await c("GET", "/api/v1/me", { bearer: signedIn.bearer });
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.equal(me.body.user.email, email);
        const none = await c("GET", "/api/v1/me", { bearer: "not-a-session-token" });
        assert.equal(none.status, 401);
      });

      test("the sixth sign-in from one IP in a minute answers 429 (the app's own rule)", async () => {
        assert.equal(notWired(), null);
        const attacker = client(dev.baseURL, freshIp());
        const statuses = [];
        for (let i = 0; i < 6; i++) {
          statuses.push((await attacker("POST", "/auth/v1/sign-in/email", { body: { email, password: "wrong password!" } })).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
        // Another address is not limited.
        const other = await client(dev.baseURL, freshIp())("POST", "/auth/v1/sign-in/email", { body: { email, password: "wrong password!" } });
        assert.equal(other.status, 401);
        // Counted in isolate memory: nothing in KV, no rateLimit table needed.
        assert.ok(!(await kvNames()).some((n) => n.includes("|")), `rate-limit keys in KV: ${JSON.stringify(await kvNames())}`);
      });

      test("a password-reset token works once", async () => {
        assert.equal(notWired(), null);
        const before = dev.output.length;
        const req = await client(dev.baseURL, freshIp())("POST", "/auth/v1/request-password-reset", {
          body: { email, redirectTo: "/reset" },
        });
        assert.equal(req.status, 200, JSON.stringify(req.body));
        // The app "sends" the e-mail to the log; wait for it.
        const pattern = new RegExp(`\\[email\\] password reset for ${email.replace(/[.+]/g, "\\$&")} \\([^)]*\\): (\\S+)`);
        let m = null;
        for (let i = 0; i < 100 && !m; i++) {
          m = pattern.exec(dev.output.slice(before));
          if (!m) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(m, `no reset e-mail in the worker's log:\n${dev.output.slice(before)}`);
        const token = /\/reset-password\/([^?/]+)/.exec(m[1])?.[1];
        assert.ok(token, m[1]);
        assert.ok((await count("verification")) >= 1, "the reset token should be in D1");

        const first = await client(dev.baseURL, freshIp())("POST", "/auth/v1/reset-password", { body: { newPassword, token } });
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const second = await client(dev.baseURL, freshIp())("POST", "/auth/v1/reset-password", {
          body: { newPassword: "yet another passphrase 123", token },
        });
        assert.equal(second.status, 400, `token reused: ${JSON.stringify(second.body)}`);
        assert.equal(await count("verification"), 0, "the reset token was not consumed");
        assert.ok(!(await kvNames()).some((n) => n.startsWith(`${PREFIX}verification:`)), "a verification value left in KV");
        // revokeSessionsOnPasswordReset: the signed-in session left KV.
        assert.equal(await kv.get(PREFIX + signedIn.token), null);
        const old = await client(dev.baseURL, freshIp())("POST", "/auth/v1/sign-in/email", { body: { email, password } });
        assert.equal(old.status, 401);
        const fresh = await client(dev.baseURL, freshIp())("POST", "/auth/v1/sign-in/email", { body: { email, password: newPassword } });
        assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
        signedIn = { token: fresh.body.token, bearer: fresh.authToken };
        assert.ok(await kv.get(PREFIX + signedIn.token));
      });

      test("sign-out removes the KV key", async () => {
        assert.equal(notWired(), null);
        const c = client(dev.baseURL, freshIp());
        const r = await c("POST", "/auth/v1/sign-out", { body: {}, bearer: signedIn.bearer });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(await kv.get(PREFIX + signedIn.token), null);
        assert.ok(!(await kvNames()).includes(PREFIX + signedIn.token));
        const after = await c("GET", "/auth/v1/get-session", { bearer: signedIn.bearer });
        assert.equal(after.body, null);
      });

      test("every KV key has the prefix; the worker logged no error", async () => {
        assert.equal(notWired(), null);
        for (const name of await kvNames()) assert.ok(name.startsWith(PREFIX), name);
        assert.doesNotMatch(dev.output, /KvSecondaryStorageError|Model rateLimit|\[ERROR\]|Uncaught/);
      });
    });
  }
});

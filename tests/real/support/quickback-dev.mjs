// Running the Quickback-shaped worker (tests/real/workers/quickback-app) under
// `wrangler dev` from a test: start and stop it, and a small HTTP client for its
// Better Auth routes. Shared by quickback-app.test.mjs and quickback-live-app.test.mjs.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { COMPATIBILITY_DATE, TOOLS, jsonOrText, run } from "./env.mjs";

/** From the app's quickback/quickback.config.ts and wrangler.toml. */
export const KV_ID = "5b2e8f1c9d3a4e7b8c6d0f1a2b3c4d5e";
export const AUTH_DB_ID = "3f9c2a41-8d7e-4b6a-9c1d-5e2f7a8b9c0d";
export const EXPIRES_IN = 7 * 24 * 60 * 60;
export const UPDATE_AGE = 24 * 60 * 60;
const SECRET = "qk-real-quickback-app-secret-0123456789abcdef0123";

/** Environment for every wrangler run: no metrics, no files outside `dir`, offline. */
export const WRANGLER_ENV = (dir) => ({
  WRANGLER_SEND_METRICS: "false",
  XDG_CONFIG_HOME: path.join(dir, ".xdg"),
  // Miniflare would fetch the Request.cf object from workers.cloudflare.com.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
});

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `wrangler d1 migrations apply AUTH_DB --local` in `dir` (state in `persistTo` when given). */
export async function migrate(dir, { persistTo } = {}) {
  const args = ["d1", "migrations", "apply", "AUTH_DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  const r = await run(TOOLS.wrangler, args, { cwd: dir, env: WRANGLER_ENV(dir), timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${r.stdout}${r.stderr}`);
}

/**
 * KV and D1 as wrangler dev keeps them under `state` (`.wrangler/state`, or the
 * `--persist-to` directory), read by a second Miniflare: what the worker wrote, not
 * what it says it wrote. Resolves to { kv, d1, dispose }.
 */
export async function openState(state) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { KV: KV_ID },
    kvPersist: path.join(state, "v3", "kv"),
    d1Databases: { AUTH_DB: AUTH_DB_ID },
    d1Persist: path.join(state, "v3", "d1"),
  });
  return { kv: await mf.getKVNamespace("KV"), d1: await mf.getD1Database("AUTH_DB"), dispose: () => mf.dispose() };
}

/**
 * `dir`'s wrangler dev, started (local state in `persistTo` when given, else
 * `.wrangler/state`); resolves once it is ready.
 */
export async function startDev(dir, { persistTo } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  writeFileSync(path.join(dir, ".dev.vars"), `BETTER_AUTH_SECRET=${SECRET}\nBETTER_AUTH_URL=${baseURL}\n`);
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--log-level", "log"];
  if (persistTo) args.push("--persist-to", persistTo);
  const child = spawn(process.execPath, [TOOLS.wrangler, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
      ...WRANGLER_ENV(dir),
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that workerd goes with it.
    detached: true,
  });
  const dev = { child, baseURL, output: "", exited: null };
  child.stdout.setEncoding("utf8").on("data", (d) => (dev.output += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (dev.output += d));
  child.on("exit", (code, signal) => (dev.exited = { code, signal }));
  const deadline = Date.now() + 90_000;
  while (!dev.output.includes(`Ready on ${baseURL}`)) {
    if (dev.exited) throw new Error(`wrangler dev exited (${JSON.stringify(dev.exited)}):\n${dev.output}`);
    if (Date.now() > deadline) throw new Error(`wrangler dev was not ready within 90 s:\n${dev.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return dev;
}

export async function stopDev(dev) {
  if (!dev || dev.exited) return;
  const gone = new Promise((r) => dev.child.once("exit", r));
  try {
    process.kill(-dev.child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-dev.child.pid, "SIGKILL");
    } catch {}
  }, 5000);
  await gone;
  clearTimeout(timer);
}

/**
 * A client with its own address (x-forwarded-for). A request authenticates with a
 * bearer token or a cookie (`name=value`); the answer carries the `set-auth-token`
 * header and every `set-cookie`.
 */
export function client(baseURL, ip) {
  return async (method, route, { body, bearer, cookie } = {}) => {
    const headers = { origin: baseURL, "x-forwarded-for": ip };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (cookie) headers.cookie = cookie;
    const res = await fetch(`${baseURL}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
    });
    return { status: res.status, body: jsonOrText(await res.text()), authToken: res.headers.get("set-auth-token"), setCookies: res.headers.getSetCookie() };
  };
}

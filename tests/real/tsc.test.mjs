// (a) TypeScript 7 (native tsc, pinned) on the generated files.
//
// What we found about how `KVNamespace` reaches the generated files
// (@cloudflare/workers-types 5.20261117.1, typescript 7.0.2):
// - env.d.ts and the adapter both start with
//   `/// <reference types="@cloudflare/workers-types" />`, which pulls in the
//   package's index.d.ts: global declarations (KVNamespace, Request, crypto, ...).
//   The adapter needs no import of env.d.ts: its env parameter is the structural
//   `KvSessionEnv { readonly <binding>: KVNamespace }`.
// - With TypeScript's default `lib` (which includes DOM) those globals clash with
//   lib.dom.d.ts (TS2403 `onmessage`, TS2300 duplicate `DOMException`, ...), and
//   without skipLibCheck that is an error. The working setup, as Cloudflare documents,
//   is `lib: ["es2022"]` (or esnext) with no DOM, and `types: []` so that no stray
//   @types package is loaded. env.d.ts then type-checks under --strict WITHOUT
//   skipLibCheck.
// - better-auth 1.7.25's own declaration files import `node:async_hooks`,
//   `node:sqlite` and `bun:sqlite`, so any file importing from "better-auth"
//   (including the adapter's `import type { SecondaryStorage }`) reports errors
//   inside node_modules unless @types/node and bun types are installed or
//   skipLibCheck is on. Our own files have none: the adapter checks are run with
//   skipLibCheck (which skips only .d.ts files, never the adapter itself), and, for
//   the first project, a run without it asserts that every error lies in
//   better-auth's declaration files.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
  BETTER_AUTH_LINES,
  TOOLS,
  adapterBinding,
  PROJECT_CONCURRENCY,
  pinnedVersion,
  projects,
  requirePrerequisites,
  run,
  skipUnlessReady,
  tempWorkspace,
} from "./support/env.mjs";

const BASE_OPTIONS = {
  strict: true,
  noEmit: true,
  target: "es2022",
  lib: ["es2022"],
  types: [],
  module: "esnext",
  moduleResolution: "bundler",
};

/** The strictest common settings, on top of --strict. */
const STRICTEST = {
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
  declaration: true,
  isolatedDeclarations: true,
};

async function tsc(dir, tsconfigName, compilerOptions, files) {
  writeFileSync(
    path.join(dir, tsconfigName),
    JSON.stringify({ compilerOptions, files }, null, 2),
  );
  const r = await run(TOOLS.tsc, ["-p", tsconfigName, "--pretty", "false"], { cwd: dir });
  return { ...r, output: (r.stdout + r.stderr).trim() };
}

function assertClean(r, what) {
  assert.equal(r.signal, null, `${what}: tsc was killed by ${r.signal}`);
  assert.ok(r.code === 0 && r.output === "", `${what}: tsc exited ${r.code}:\n${r.output}`);
}

/** `bindings`: which interface of env.d.ts holds the KV bindings (see support/env.mjs). */
function usageFile(binding, bindings) {
  const imported = bindings.name === "CloudflareBindings" ? "CloudflareBindings" : `${bindings.name} as CloudflareBindings`;
  return `import { betterAuth, type BetterAuthOptions, type SecondaryStorage } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import {
  betterAuthKvOptions,
  createKvSecondaryStorage,
  kvSecondaryStorage,
  KvSecondaryStorageError,
  KV_RATE_LIMIT_STORAGE,
  KV_SESSION_EXPIRES_IN,
  KV_SESSION_KEY_PREFIX,
  KV_SESSION_UPDATE_AGE,
  KV_VERIFICATION_OPTIONS,
  type BetterAuthKvOptions,
  type KvSecondaryStorage,
  type KvSessionEnv,
} from "./lib/kv-session-storage";
import type { ${imported} } from "./env";

declare const env: CloudflareBindings;

// The generated Env satisfies the adapter's structural env type.
const sessionEnv: KvSessionEnv = env;
const fromNamespace: SecondaryStorage = createKvSecondaryStorage(env.${binding});
const withOptions: SecondaryStorage = createKvSecondaryStorage(env.${binding}, {
  keyPrefix: "other:",
  allowNonAtomic: true,
});
const bound: SecondaryStorage = kvSecondaryStorage(sessionEnv);
const boundNonAtomic: SecondaryStorage = kvSecondaryStorage(env, { allowNonAtomic: true });
const kvOptions: BetterAuthKvOptions = betterAuthKvOptions(env);
const asBetterAuthOptions: BetterAuthOptions = kvOptions;
const storage: SecondaryStorage = kvOptions.secondaryStorage;
const storageType: "memory" = kvOptions.rateLimit.storage;
const full: KvSecondaryStorage = kvSecondaryStorage(sessionEnv);
const atomicFree: Promise<number> = full.increment("k", 60);
const constants: [string, number, number] = [KV_SESSION_KEY_PREFIX, KV_SESSION_EXPIRES_IN, KV_SESSION_UPDATE_AGE];

const auth = betterAuth({
  database: memoryAdapter({}),
  emailAndPassword: { enabled: true },
  ...betterAuthKvOptions(env),
});

// The wired form quickback-kv inserts into an auth module (see the README), in an
// options object that already has rateLimit and verification groups and in one that has none.
function createAuth(maybeEnv?: CloudflareBindings) {
  return betterAuth({
    database: memoryAdapter({}),
    rateLimit: {
      enabled: true,
      customRules: { "/sign-in/email": { window: 60, max: 5 } },
      storage: "memory",
    },
    secondaryStorage: maybeEnv ? kvSecondaryStorage(maybeEnv) : undefined,
    verification: { ...KV_VERIFICATION_OPTIONS },
  });
}
const wiredWithGroups = betterAuth({
  rateLimit: { window: 60, storage: KV_RATE_LIMIT_STORAGE },
  secondaryStorage: kvSecondaryStorage(env),
  verification: {
    ...KV_VERIFICATION_OPTIONS,
    disableCleanup: false,
  },
});
const wiredNoEnv = createAuth();
const wired = createAuth(env);

export async function handle(request: Request): Promise<Response> {
  try {
    return await auth.handler(request);
  } catch (error) {
    if (error instanceof KvSecondaryStorageError) {
      const code: "non-atomic-operation" | "value-too-large" | "invalid-value" | "invalid-ttl" | "key-prefix-too-long" = error.code;
      return new Response(code, { status: 500 });
    }
    throw error;
  }
}

// The exports are typed, not any.
// @ts-expect-error a storage is not a string
const notAString: string = bound;
// @ts-expect-error keyPrefix must be a string
createKvSecondaryStorage(env.${binding}, { keyPrefix: 1 });
// @ts-expect-error a number is not a KVNamespace
createKvSecondaryStorage(42);
// @ts-expect-error an env without the binding is refused
kvSecondaryStorage({});

export const used = [fromNamespace, withOptions, boundNonAtomic, asBetterAuthOptions, storage, storageType, constants, notAString, atomicFree, wiredWithGroups, wiredNoEnv, wired];
`;
}

async function checkAdapter(project, line, { noSkip }) {
  const ws = tempWorkspace("tsc-adapter", { betterAuth: line.pkg });
  try {
    mkdirSync(path.join(ws.dir, "src/lib"), { recursive: true });
    copyFileSync(project.envTypes, path.join(ws.dir, "src/env.d.ts"));
    copyFileSync(project.adapter, path.join(ws.dir, "src/lib/kv-session-storage.ts"));
    writeFileSync(path.join(ws.dir, "src/usage.ts"), usageFile(adapterBinding(project.adapter), project.bindings));
    const installed = JSON.parse(readFileSync(path.join(ws.dir, "node_modules/better-auth/package.json"), "utf8"));
    assert.equal(installed.version, line.version, "the workspace's better-auth is the line under test");
    const withUsage = ["src/env.d.ts", "src/lib/kv-session-storage.ts", "src/usage.ts"];
    const [strict, strictest] = await Promise.all([
      // skipLibCheck only skips .d.ts files, never the adapter or the usage file.
      // Without it (noSkip) the only errors allowed are in Better Auth's own
      // declaration files (they need node/bun types).
      tsc(ws.dir, "tsconfig.strict.json", { ...BASE_OPTIONS, skipLibCheck: !noSkip }, withUsage),
      tsc(
        ws.dir,
        "tsconfig.strictest.json",
        { ...BASE_OPTIONS, ...STRICTEST, skipLibCheck: true },
        // Alone: its own reference to @cloudflare/workers-types must suffice.
        ["src/lib/kv-session-storage.ts"],
      ),
    ]);
    if (noSkip) {
      assert.equal(strict.signal, null);
      const ours = strict.output
        .split("\n")
        .filter((line) => /error TS\d+/.test(line) && !/node_modules\/(@better-auth|better-auth(-[\d-]+)?)\//.test(line));
      assert.deepEqual(ours, [], `errors outside Better Auth's declarations without skipLibCheck:\n${strict.output}`);
    } else {
      assertClean(strict, `adapter + usage, --strict, better-auth ${line.version}`);
    }
    assertClean(strictest, `adapter alone, strictest flags, better-auth ${line.version}`);
  } finally {
    ws.cleanup();
  }
}

describe("tsc (typescript 7) on generated files", { ...skipUnlessReady(), concurrency: PROJECT_CONCURRENCY }, () => {
  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
  });

  test(`tsc is the pinned ${pinnedVersion("typescript")} and fails on a type error`, async () => {
    const r = await run(TOOLS.tsc, ["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Version ${pinnedVersion("typescript").replaceAll(".", "\\.")}\\b`));
    // Negative control: the harness sees a real error (exit codes differ by version).
    const ws = tempWorkspace("tsc-control");
    try {
      writeFileSync(path.join(ws.dir, "bad.ts"), `const n: number = "not a number";\nexport { n };\n`);
      const bad = await tsc(ws.dir, "tsconfig.json", BASE_OPTIONS, ["bad.ts"]);
      assert.notEqual(bad.code, 0, "tsc accepted a type error");
      assert.match(bad.output, /TS2322/);
    } finally {
      ws.cleanup();
    }
  });

  test("negative control: Better Auth 1.4's types refuse `verification: { storeInDatabase: true }`", async () => {
    // Why the wiring spreads KV_VERIFICATION_OPTIONS instead of writing the option, and
    // proof that a workspace for an older line really type-checks against that line.
    const source = `import { betterAuth } from "better-auth";\nexport const a = betterAuth({ verification: { storeInDatabase: true } });\n`;
    for (const line of BETTER_AUTH_LINES.filter((l) => l.line === "1.4" || l.newest)) {
      const ws = tempWorkspace("tsc-control-1-4", { betterAuth: line.pkg });
      try {
        writeFileSync(path.join(ws.dir, "a.ts"), source);
        const r = await tsc(ws.dir, "tsconfig.json", { ...BASE_OPTIONS, skipLibCheck: true }, ["a.ts"]);
        if (line.newest) assertClean(r, `storeInDatabase with better-auth ${line.version}`);
        else assert.match(r.output, /TS2353: Object literal may only specify known properties, and 'storeInDatabase'/);
      } finally {
        ws.cleanup();
      }
    }
  });

  for (const project of projects()) {
    describe(project.name, { concurrency: 1 }, () => {
      test("env.d.ts alone passes --strict without skipLibCheck", async () => {
        const ws = tempWorkspace("tsc-env");
        try {
          mkdirSync(path.join(ws.dir, "src"));
          copyFileSync(project.envTypes, path.join(ws.dir, "src/env.d.ts"));
          assertClean(
            await tsc(ws.dir, "tsconfig.json", { ...BASE_OPTIONS, skipLibCheck: false }, ["src/env.d.ts"]),
            "env.d.ts",
          );
        } finally {
          ws.cleanup();
        }
      });

      // Projects without Better Auth have no adapter; the adapter itself is checked on
      // the others, with Better Auth 1.7, and the first one with every older line too.
      if (project.adapter) {
        const first = project.dir === projects().find((p) => p.adapter)?.dir;
        for (const line of BETTER_AUTH_LINES.filter((l) => l.newest || first)) {
          test(
            `better-auth ${line.version}: adapter with a usage file passes --strict (and, without ` +
              `skipLibCheck, has errors only in Better Auth's declarations); adapter alone passes the strictest flags`,
            () => checkAdapter(project, line, { noSkip: first }),
          );
        }
      }
    });
  }
});

// (b) Real wrangler (pinned 4.164.0) on the generated wrangler config (wrangler.toml,
// wrangler.jsonc or wrangler.json):
// - `wrangler types` loads the config (top level, and each `[env.NAME]` with `--env`,
//   which is when wrangler checks per-environment rules such as "kv_namespaces exists
//   at the top level, but not on env.NAME") with exit 0 and no KV-related warning;
// - the KV-typed keys of wrangler's generated `Env` are type-equal to those of our
//   `CloudflareBindings` (same names, same optionality, all `KVNamespace`; in an
//   env.d.ts someone else wrote, its bindings interface's KV part), checked by
//   compiling with tsc. `--include-runtime=false` keeps wrangler's output to the Env
//   part, so both sides use @cloudflare/workers-types' KVNamespace.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { stripVTControlCharacters } from "node:util";
import {
  TOOLS,
  PROJECT_CONCURRENCY,
  pinnedVersion,
  projects,
  requirePrerequisites,
  run,
  skipUnlessReady,
  tempWorkspace,
} from "./support/env.mjs";

function wranglerEnv(dir) {
  return {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true", // also skips the registry update check
    XDG_CONFIG_HOME: path.join(dir, ".xdg"),
    WRANGLER_CACHE_DIR: path.join(dir, ".wrangler-cache"),
    WRANGLER_LOG_PATH: path.join(dir, ".wrangler-logs"),
    FORCE_COLOR: "0",
    NO_COLOR: "1",
  };
}

async function wrangler(dir, args) {
  const r = await run(TOOLS.wrangler, args, { cwd: dir, env: wranglerEnv(dir), timeoutMs: 90_000 });
  return {
    ...r,
    stdout: stripVTControlCharacters(r.stdout),
    stderr: stripVTControlCharacters(r.stderr),
  };
}

/** Warning blocks (`▲ [WARNING] ...`) in wrangler's output. */
function warnings(text) {
  return text
    .split(/(?=▲ \[WARNING\])/)
    .filter((block) => block.startsWith("▲ [WARNING]"))
    .map((block) => block.split(/\n(?=✘ \[ERROR\]|✨|📣)/)[0].trim());
}

/** Environment names declared in a wrangler.toml (`[env.NAME]`, `[[env.NAME.x]]`). */
function environments(toml) {
  const names = new Set();
  for (const m of toml.matchAll(/^\s*\[\[?\s*env\s*\.\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))/gm)) {
    names.add(m[1] ?? m[2]);
  }
  return [...names];
}

/** KV binding names in a wrangler.toml (`binding = "X"` lines of kv_namespaces tables). */
function kvBindingNames(toml) {
  const names = new Set();
  for (const table of toml.split(/^(?=\s*\[)/m)) {
    if (!/^\s*\[\[\s*(?:env\s*\.\s*(?:"[^"]+"|[A-Za-z0-9_-]+)\s*\.\s*)?kv_namespaces\s*\]\]/.test(table)) continue;
    const m = /^\s*binding\s*=\s*"([^"]+)"/m.exec(table);
    if (m) names.add(m[1]);
  }
  return [...names];
}

/**
 * A JSONC text as a value: comments and trailing commas removed outside strings,
 * then JSON.parse (enough for wrangler configs; wrangler itself reads them as JSONC).
 */
function parseJsonc(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2) + 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[\]}])/g, "$1"));
}

/** KV binding names (every scope) and environment names of a wrangler config. */
function readWranglerConfig(file) {
  // A byte order mark is kept by quickback-kv as the user wrote it; wrangler reads past it.
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  if (file.endsWith(".toml")) return { bindings: kvBindingNames(text), environments: environments(text) };
  const config = parseJsonc(text);
  const scopes = [config, ...Object.values(config.env ?? {})];
  const bindings = new Set(scopes.flatMap((s) => (s.kv_namespaces ?? []).map((e) => e.binding)));
  return { bindings: [...bindings], environments: Object.keys(config.env ?? {}) };
}

/** `interface XEnv {` declared inside `declare namespace Cloudflare` by `wrangler types`. */
function environmentInterfaces(generated) {
  const names = [...generated.matchAll(/^\t(?:export )?interface (\w+) \{/gm)].map((m) => m[1]);
  return names.filter((n) => n !== "GlobalProps" && n !== "Env");
}

/**
 * Environment interfaces our env.d.ts exports: every other interface of a generated
 * file; in a file someone else wrote, the `<Name>Env` ones.
 */
function ourEnvironmentInterfaces(envTypes, bindings) {
  return [...envTypes.matchAll(/^export interface (\w+) \{/gm)]
    .map((m) => m[1])
    .filter((n) => n !== bindings.name && (bindings.generated || /.Env$/.test(n)));
}

function assertLoads(r, what, bindings) {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${all}`);
  assert.doesNotMatch(all, /✘ \[ERROR\]/, `${what} reported an error:\n${all}`);
  const kvWarnings = warnings(all).filter(
    (w) => /\bkv\b|kv_namespaces|namespace/i.test(w) || bindings.some((b) => w.includes(b)),
  );
  if (kvWarnings.length > 0) assert.fail(`${what} warned about KV:\n${kvWarnings.join("\n\n")}`);
  return warnings(all);
}

/**
 * The type-level comparison. `bindings` says which interface of env.d.ts holds the
 * KV bindings (see support/env.mjs); only a generated file has nothing else in it.
 */
const equalityCheck = (bindings) => `import type { ${bindings.name === "CloudflareBindings" ? "CloudflareBindings" : `${bindings.name} as CloudflareBindings`} } from "./src/env";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type KvKeys<T> = { [K in keyof T]-?: [NonNullable<T[K]>] extends [KVNamespace] ? K : never }[keyof T];
type KvPart<T> = Pick<T, KvKeys<T>>;

// The comparison itself can fail (controls):
const controlOptional: Equals<{ A: KVNamespace }, { A?: KVNamespace }> = false;
const controlExtra: Equals<{ A: KVNamespace }, { A: KVNamespace; B: KVNamespace }> = false;
const controlAny: Equals<{ A: KVNamespace }, { A: any }> = false;
const controlSame: Equals<KvPart<{ A: KVNamespace; v: "1" }>, { A: KVNamespace }> = true;

// wrangler's Env (top level; bindings missing from some environment are optional)
// against quickback-kv's CloudflareBindings, KV-typed keys only.
const kvKeysEqual: Equals<KvPart<Env>, KvPart<CloudflareBindings>> = true;
${bindings.generated
  ? `// Every key of CloudflareBindings is a KV binding (nothing else is typed there).
const onlyKv: Equals<KvKeys<CloudflareBindings>, keyof CloudflareBindings> = true;`
  : `// A file someone else wrote holds their other bindings too: only its KV part is ours.
const onlyKv = true;`}
// Cloudflare.Env (used by \`import { env } from "cloudflare:workers"\`) agrees too.
const cloudflareEnvEqual: Equals<KvPart<Cloudflare.Env>, KvPart<CloudflareBindings>> = true;

export const checks: boolean[] = [controlOptional, controlExtra, controlAny, controlSame, kvKeysEqual, onlyKv, cloudflareEnvEqual];
`;

describe("wrangler on the generated wrangler config", { ...skipUnlessReady(), concurrency: PROJECT_CONCURRENCY }, () => {
  test("prerequisites", () => {
    assert.ok(requirePrerequisites());
  });

  test(`wrangler is the pinned ${pinnedVersion("wrangler")}`, async () => {
    const ws = tempWorkspace("wrangler-version");
    try {
      const r = await wrangler(ws.dir, ["--version"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`\\b${pinnedVersion("wrangler").replaceAll(".", "\\.")}\\b`));
    } finally {
      ws.cleanup();
    }
  });

  for (const project of projects()) {
    test(`${project.name}: wrangler loads it cleanly and its KV types equal env.d.ts`, async (t) => {
      const ws = tempWorkspace("wrangler");
      try {
        const configName = path.basename(project.wranglerConfig);
        const { bindings, environments: envs } = readWranglerConfig(project.wranglerConfig);
        copyFileSync(project.wranglerConfig, path.join(ws.dir, configName));
        mkdirSync(path.join(ws.dir, "src"));
        copyFileSync(project.envTypes, path.join(ws.dir, "src/env.d.ts"));

        const runs = await Promise.all([
          wrangler(ws.dir, ["types", "--include-runtime=false", "worker-configuration.d.ts"]),
          ...envs.map((e) =>
            wrangler(ws.dir, ["types", "--include-runtime=false", "--env", e, `env-${envs.indexOf(e)}.d.ts`]),
          ),
        ]);
        const other = [
          ...assertLoads(runs[0], "wrangler types", bindings),
          ...envs.flatMap((e, i) => assertLoads(runs[i + 1], `wrangler types --env ${e}`, bindings)),
        ];
        for (const w of new Set(other)) t.diagnostic(`wrangler warning not about KV: ${w}`);

        const generated = readFileSync(path.join(ws.dir, "worker-configuration.d.ts"), "utf8");
        for (const b of bindings) {
          assert.match(generated, new RegExp(`\\b${b}\\??: KVNamespace;`), `wrangler types has no ${b}`);
        }

        // One interface per environment, named as wrangler names it, with equal KV keys.
        const theirs = environmentInterfaces(generated).sort();
        const ours = ourEnvironmentInterfaces(readFileSync(project.envTypes, "utf8"), project.bindings).sort();
        assert.deepEqual(ours, theirs, "env.d.ts and wrangler types declare different environment interfaces");
        assert.equal(theirs.length, envs.length, `expected one interface per environment (${envs.join(", ")})`);
        const perEnvironment = theirs
          .map((name) => `const ${name}Equal: Equals<KvPart<Cloudflare.${name}>, KvPart<Ours.${name}>> = true;\nchecks.push(${name}Equal);`)
          .join("\n");
        writeFileSync(
          path.join(ws.dir, "check.ts"),
          `${equalityCheck(project.bindings)}\nimport type * as Ours from "./src/env";\n${perEnvironment}\n`,
        );
        writeFileSync(
          path.join(ws.dir, "tsconfig.json"),
          JSON.stringify({
            compilerOptions: {
              strict: true,
              noEmit: true,
              target: "es2022",
              lib: ["es2022"],
              types: ["@cloudflare/workers-types"],
              module: "esnext",
              moduleResolution: "bundler",
            },
            files: ["worker-configuration.d.ts", "src/env.d.ts", "check.ts"],
          }),
        );
        const tsc = await run(TOOLS.tsc, ["-p", "tsconfig.json", "--pretty", "false"], { cwd: ws.dir });
        const out = (tsc.stdout + tsc.stderr).trim();
        assert.ok(
          tsc.code === 0 && out === "",
          `KV types of wrangler's Env and CloudflareBindings differ (tsc exited ${tsc.code}):\n${out}\n\n` +
            `wrangler types:\n${generated}\n\nenv.d.ts:\n${readFileSync(project.envTypes, "utf8")}`,
        );
      } finally {
        ws.cleanup();
      }
    });
  }
});

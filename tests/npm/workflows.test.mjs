// actionlint (with shellcheck for the `run:` scripts) on the release workflow and on the
// composite action in action.yml. Run by ./test.sh; the tools come from tests/requirements.txt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tool, venvBin } from "./python.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH}` };

function actionlint(cwd, files = []) {
  const result = spawnSync(tool("actionlint"), ["-no-color", ...files], { cwd, env, encoding: "utf8" });
  assert.equal(result.error, undefined, String(result.error));
  return result;
}

test("actionlint and shellcheck find nothing in .github/workflows", () => {
  tool("shellcheck");
  const workflows = readdirSync(path.join(repo, ".github/workflows"));
  assert.ok(workflows.includes("release.yml"), workflows.join(", "));
  const result = actionlint(repo);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

/** A scratch repository holding action.yml at its root and the given workflow. */
function scratch(t, workflow) {
  const dir = mkdtempSync(path.join(tmpdir(), "qk-actionlint-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, ".github/workflows"), { recursive: true });
  copyFileSync(path.join(repo, "action.yml"), path.join(dir, "action.yml"));
  writeFileSync(path.join(dir, ".github/workflows/use.yml"), workflow);
  spawnSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

const usingTheAction = (inputs) => `on: pull_request
jobs:
  kv:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: ./
        with:
${inputs.map((line) => `          ${line}`).join("\n")}
`;

test("action.yml: a workflow using it with its inputs passes actionlint; a missing required input does not", (t) => {
  const good = scratch(t, usingTheAction(["version: 0.1.0", "root: example", "args: --deny-warnings"]));
  const ok = actionlint(good);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);

  // The same check fails when the workflow breaks the action's metadata: actionlint read action.yml.
  const bad = scratch(t, usingTheAction(["root: example", "no-such-input: x"]));
  const failed = actionlint(bad);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stdout, /missing input "version"/);
  assert.match(failed.stdout, /input "no-such-input" is not defined/);
});

test("action.yml: its composite steps pass actionlint and shellcheck as a job of their own", (t) => {
  // actionlint lints workflows, not the steps of a composite action: put the steps into a
  // workflow_dispatch job whose inputs are the action's, so `inputs.*` means the same.
  const convert = [
    "import sys, yaml",
    "action = yaml.safe_load(open(sys.argv[1]))",
    "inputs = {k: {'type': 'string', 'required': v.get('required', False), 'default': v.get('default', ''),",
    "              'description': v['description']} for k, v in action['inputs'].items()}",
    "assert action['runs']['using'] == 'composite'",
    "for step in action['runs']['steps']:",
    "    if 'run' in step: step['run'] = step['run'].replace(*sys.argv[2:4])",
    "workflow = {'on': {'workflow_dispatch': {'inputs': inputs}},",
    "            'jobs': {'action': {'runs-on': 'ubuntu-latest', 'steps': action['runs']['steps']}}}",
    "print(yaml.safe_dump(workflow, sort_keys=False, width=1000))",
  ].join("\n");
  const job = (...replace) => {
    const result = spawnSync(tool("python"), ["-c", convert, path.join(repo, "action.yml"), ...replace], {
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.replace(/^'on':/m, "on:");
  };
  const converted = { stdout: job("", "") };
  const dir = scratch(t, converted.stdout);
  const result = actionlint(dir);
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}\n--- the job:\n${converted.stdout}`);
  assert.equal(converted.stdout.match(/^ {4}- name: /gm).length, 3, converted.stdout);

  // shellcheck does look at those scripts: the same job with `$QK_PREFIX` unquoted fails.
  const unquoted = scratch(t, job('echo "$QK_PREFIX/node_modules/.bin"', "echo $QK_PREFIX/node_modules/.bin"));
  const flagged = actionlint(unquoted);
  assert.notEqual(flagged.status, 0);
  assert.match(flagged.stdout, /SC2086/);
});

test("release.yml builds exactly the platforms of npm/quickback-kv/platforms.json, with their targets", () => {
  const read = [
    "import json, sys, yaml",
    "w = yaml.safe_load(open(sys.argv[1]))",
    "print(json.dumps({'matrix': w['jobs']['build']['strategy']['matrix']['include'],",
    "                  'assemble': [s['run'] for s in w['jobs']['publish']['steps'] if s.get('name') == 'Assemble'][0]}))",
  ].join("\n");
  const result = spawnSync(tool("python"), ["-c", read, path.join(repo, ".github/workflows/release.yml")], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  const { matrix, assemble } = JSON.parse(result.stdout);
  const platforms = JSON.parse(readFileSync(path.join(repo, "npm/quickback-kv/platforms.json"), "utf8"));
  assert.deepEqual(
    Object.fromEntries(matrix.map((m) => [m.platform, m.target])),
    Object.fromEntries(Object.entries(platforms).map(([key, p]) => [key, p.target])),
  );
  for (const m of matrix) {
    assert.equal(`quickback-kv${m.exe}`, platforms[m.platform].binary, m.platform);
  }
  const assembled = /for platform in ([^;]+);/.exec(assemble)[1].trim().split(/\s+/);
  assert.deepEqual(assembled.sort(), Object.keys(platforms).sort());
});

// The Python tools of the npm tests (pre-commit, actionlint, shellcheck): the venv that
// ./test.sh creates from tests/requirements.txt (QK_VENV overrides where it is).
// A missing tool fails the test loudly; it is never skipped.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const venvBin = path.join(process.env.QK_VENV ?? path.join(repo, "tests/.tmp/venv"), "bin");

/** The path of a tool in the venv; fails when it is missing. */
export function tool(name) {
  const file = path.join(venvBin, name);
  assert.ok(
    existsSync(file),
    `${file} is missing: ./test.sh creates the venv (python3 -m venv tests/.tmp/venv && ` +
      "tests/.tmp/venv/bin/pip install --only-binary :all: -r tests/requirements.txt)",
  );
  return file;
}

// A real editor's LSP client: Debian's Neovim, headless, drives `quickback-kv lsp`
// through tests/editor/nvim.lua; this test checks what Neovim received.
// Run by ./test.sh (which installs neovim when it is missing). QK_BIN names the
// binary (default: target/debug/quickback-kv, as ./test.sh builds it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.QK_BIN ?? path.resolve(here, "../../target/debug/quickback-kv");

test("Neovim gets diagnostics, a hover and a working quick fix from quickback-kv lsp", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "qk-nvim-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(here, "project"), dir, { recursive: true });
  const config = path.join(dir, "quickback/quickback.config.ts");
  const outFile = path.join(dir, "received.json");

  const nvim = spawnSync("nvim", ["--headless", "--clean", "-u", path.join(here, "nvim.lua")], {
    env: { ...process.env, QK_BIN: bin, QK_CONFIG: config, QK_EDITOR_OUT: outFile },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(nvim.error, undefined, `cannot run nvim: ${nvim.error}`);
  const received = JSON.parse(readFileSync(outFile, "utf8"));
  assert.equal(nvim.status, 0, `nvim failed after ${JSON.stringify(received.steps)}: ${received.error}\n${nvim.stderr}`);

  // The diagnostic, as Neovim placed it: 0-based line and *byte* column, which
  // Neovim computed from the server's UTF-16 character; multi-byte text precedes it.
  const lines = readFileSync(config, "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes('kvId: "'));
  const byteCol = Buffer.byteLength(lines[line].slice(0, lines[line].indexOf('"3c9e')));
  assert.equal(received.diagnostics.length, 1, JSON.stringify(received.diagnostics));
  const [d] = received.diagnostics;
  assert.equal(d.code, "kv::conflicting-namespace-ids");
  assert.equal(d.severity, 1, "error");
  assert.equal(d.source, "quickback-kv");
  assert.deepEqual([d.lnum, d.col, d.end_lnum, d.end_col], [line, byteCol, line, byteCol + 34]);
  assert.match(d.message, /give different namespace ids/);

  // The raw notification kept the related locations and the explanation link.
  const first = received.published.find((p) => p.diagnostics.length > 0);
  assert.equal(first.version, 0, "Neovim numbers its first version 0");
  assert.equal(first.diagnostics[0].relatedInformation.length, 1);
  assert.match(first.diagnostics[0].codeDescription?.href ?? "", /diagnostics\.md#kv-conflicting-namespace-ids$/);

  assert.match(received.hover, /`providers\.auth\.kvId` gives `3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b`, \*\*which conflicts\*\*/);
  assert.match(received.hover, /1\. `providers\.storage\.namespaceId` \(line 8\): wins/);

  assert.deepEqual(received.actions, ['use "0f2ac74b498b48028cb68387c421e279" everywhere']);
  assert.deepEqual(received.diagnostics_after_fix, []);
  assert.equal(received.text_after_fix.match(/0f2ac74b498b48028cb68387c421e279/g).length, 2);
  assert.ok(received.text_after_fix.includes("/* Schlüssel 🔑 */ kvId:"), "the edit left the rest of the line alone");
  assert.equal(received.exit_code, 0, "the server exits with 0 after Neovim's shutdown and exit");
});

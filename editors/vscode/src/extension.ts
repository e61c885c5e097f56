// The quickback-kv extension: a thin client. It finds the binary (binary.ts), starts
// `quickback-kv lsp` for the files the server reads, passes the path settings (the
// CLI's flags) to it, and offers three commands and a status bar item. Every
// diagnostic, hover and fix comes from the server.
import { spawn } from "node:child_process";
import path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { find, installCommand } from "./binary";

const SECTION = "quickbackKv";
const CONFIG_CANDIDATES = ["quickback/quickback.config.ts", "quickback.config.ts"];

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
/** The binary of the running server, for the build command. */
let binary: string | undefined;
/** The missing-binary notification is shown once per session, never in a loop. */
let toldMissing = false;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("quickback-kv");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 0);
  status.name = "quickback-kv";
  status.command = "quickbackKv.showOutput";
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("quickbackKv.build", build),
    vscode.commands.registerCommand("quickbackKv.restart", async () => {
      toldMissing = false;
      await restart();
    }),
    vscode.commands.registerCommand("quickbackKv.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration(`${SECTION}.path`)) {
        await restart();
      } else if (e.affectsConfiguration(SECTION) && client?.isRunning()) {
        await client.sendNotification("workspace/didChangeConfiguration", { settings: { [SECTION]: pathSettings() } });
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

function folders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** The settings the CLI takes as flags, as the server reads them. */
function pathSettings(): Record<string, string> {
  const s = settings();
  return {
    envTypes: s.get<string>("envTypes", ""),
    sessionAdapter: s.get<string>("sessionAdapter", ""),
    authModule: s.get<string>("authModule", ""),
  };
}

/** The config the CLI would read: the first candidate under a workspace folder, else any. */
async function findConfig(): Promise<vscode.Uri | undefined> {
  for (const folder of folders()) {
    for (const candidate of CONFIG_CANDIDATES) {
      const uri = vscode.Uri.file(path.join(folder, candidate));
      try {
        await vscode.workspace.fs.stat(uri);
        return uri;
      } catch {
        // not there
      }
    }
  }
  const [any] = await vscode.workspace.findFiles("**/quickback.config.ts", "**/node_modules/**", 1);
  return any;
}

/** The project root of a config: its directory, or the parent of `quickback/` (as the server decides). */
function rootOf(config: vscode.Uri): string {
  const dir = path.dirname(config.fsPath);
  return path.basename(dir) === "quickback" ? path.dirname(dir) : dir;
}

async function start(): Promise<void> {
  const lookup = find(settings().get<string>("path", ""), folders());
  if ("missing" in lookup) {
    binary = undefined;
    status.text = "$(warning) quickback-kv: no binary";
    status.tooltip = lookup.missing;
    status.show();
    output.appendLine(`quickback-kv: ${lookup.missing}`);
    // Not awaited: activation must not wait for the user to answer the notification.
    void tellMissing(lookup.missing);
    return;
  }
  binary = lookup.found.path;
  output.appendLine(`quickback-kv: starting ${binary} lsp (found in ${lookup.found.source})`);
  const serverOptions: ServerOptions = { command: binary, args: ["lsp"], options: { cwd: folders()[0] } };
  const s = pathSettings();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", pattern: "**/quickback.config.ts" },
      { scheme: "file", pattern: "**/wrangler.{toml,json,jsonc}" },
      ...[s.envTypes, s.sessionAdapter, s.authModule]
        .filter((p) => p !== "")
        .map((p) => ({ scheme: "file", pattern: `**/${p}` })),
    ],
    initializationOptions: s,
    outputChannel: output,
  };
  client = new LanguageClient("quickbackKv", "quickback-kv", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    status.text = "$(error) quickback-kv";
    status.tooltip = `the language server did not start: ${e}`;
    status.show();
    return;
  }
  const config = await findConfig();
  const shown = config ? vscode.workspace.asRelativePath(config) : "no config";
  status.text = `$(check) quickback-kv: ${shown}`;
  status.tooltip = `quickback-kv lsp is running (${binary}, from ${lookup.found.source}); config: ${shown}`;
  status.show();
}

async function restart(): Promise<void> {
  const old = client;
  client = undefined;
  await old?.stop().catch(() => undefined);
  await start();
}

async function tellMissing(why: string): Promise<void> {
  if (toldMissing) return;
  toldMissing = true;
  const command = installCommand(folders());
  const copy = "Copy install command";
  const set = "Set quickbackKv.path";
  const choice = await vscode.window.showErrorMessage(
    `quickback-kv: ${why}. Install it in the workspace with \`${command}\`, then run "quickback-kv: Restart the language server".`,
    copy,
    set,
  );
  if (choice === copy) await vscode.env.clipboard.writeText(command);
  if (choice === set) await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
}

/** `quickback-kv build` in the project root with the settings as flags; the result in a message. */
async function build(): Promise<void> {
  const config = await findConfig();
  if (binary === undefined || config === undefined) {
    void vscode.window.showErrorMessage(
      binary === undefined ? "quickback-kv: no binary to run the build" : "quickback-kv: no quickback.config.ts in this workspace",
    );
    return;
  }
  const s = pathSettings();
  // No --config: in its root the CLI finds this config itself, and its headers then
  // name the same command as the server's (a --config would make them differ).
  const args = ["build"];
  for (const [flag, value] of [
    ["--env-types", s.envTypes],
    ["--session-adapter", s.sessionAdapter],
    ["--auth-module", s.authModule],
  ]) {
    if (value !== "") args.push(flag, value);
  }
  const cwd = rootOf(config);
  output.appendLine(`$ ${binary} ${args.join(" ")}   (in ${cwd})`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(binary as string, args, { cwd, env: { ...process.env, NO_COLOR: "1" } });
    child.stdout.on("data", (d: Buffer) => output.append(d.toString()));
    child.stderr.on("data", (d: Buffer) => output.append(d.toString()));
    child.on("error", (e) => {
      output.appendLine(String(e));
      resolve(null);
    });
    child.on("close", resolve);
  });
  const show = "Show output";
  const choice =
    code === 0
      ? await vscode.window.showInformationMessage("quickback-kv build: outputs written", show)
      : await vscode.window.showErrorMessage(`quickback-kv build failed (exit code ${code}); nothing was written`, show);
  if (choice === show) output.show(true);
}

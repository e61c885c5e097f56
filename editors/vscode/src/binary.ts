// Finding the quickback-kv binary, in Biome's order: the `quickbackKv.path` setting,
// then the workspace's node_modules (the platform package's native binary, found
// through the installed `quickback-kv` package and its platforms.json, then the
// `node_modules/.bin/quickback-kv` launcher), then PATH. Nothing here runs it.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export interface Found {
  path: string;
  /** How it was found, for the status bar and the output channel. */
  source: "setting" | "node_modules" | "PATH";
}

export type Lookup = { found: Found } | { missing: string };

interface Platform {
  package: string;
  os: string;
  cpu: string;
  libc?: string;
  binary: string;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The setting, resolved against the first workspace folder when relative. */
export function find(setting: string, folders: string[]): Lookup {
  const configured = setting.trim();
  if (configured !== "") {
    const file = path.resolve(folders[0] ?? process.cwd(), configured);
    return isFile(file)
      ? { found: { path: file, source: "setting" } }
      : { missing: `the setting quickbackKv.path names ${file}, which is not a file` };
  }
  for (const folder of folders) {
    const local = inNodeModules(folder);
    if (local !== undefined) return { found: { path: local, source: "node_modules" } };
  }
  const onPath = inPath(process.env.PATH ?? "");
  if (onPath !== undefined) return { found: { path: onPath, source: "PATH" } };
  return { missing: "quickback-kv is not in the workspace's node_modules nor on PATH" };
}

function libc(): string | undefined {
  if (process.platform !== "linux" || !process.report) return undefined;
  // No network lookups in the report (they can stall on a machine without DNS).
  (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

/** The native binary of this platform's package, else the npm launcher. */
function inNodeModules(folder: string): string | undefined {
  const require = createRequire(path.join(folder, "package.json"));
  try {
    const main = path.dirname(require.resolve("quickback-kv/package.json"));
    const platforms = JSON.parse(readFileSync(path.join(main, "platforms.json"), "utf8")) as Record<string, Platform>;
    const c = libc();
    const platform = Object.values(platforms).find(
      (p) => p.os === process.platform && p.cpu === process.arch && (p.libc === undefined || p.libc === c),
    );
    if (platform !== undefined) {
      // Resolved from the main package, as its optional dependency (pnpm keeps it there).
      const fromMain = createRequire(path.join(main, "package.json"));
      const dir = path.dirname(fromMain.resolve(`${platform.package}/package.json`));
      const binary = path.join(dir, platform.binary);
      if (isFile(binary)) return binary;
    }
  } catch {
    // not installed, or installed without its platform package: try the launcher
  }
  const launcher = path.join(folder, "node_modules", ".bin", process.platform === "win32" ? "quickback-kv.cmd" : "quickback-kv");
  return existsSync(launcher) ? launcher : undefined;
}

function inPath(pathVariable: string): string | undefined {
  const names = process.platform === "win32" ? ["quickback-kv.exe", "quickback-kv.cmd"] : ["quickback-kv"];
  for (const dir of pathVariable.split(path.delimiter)) {
    if (dir === "") continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (isFile(file)) return file;
    }
  }
  return undefined;
}

/** The command that adds quickback-kv with the package manager the workspace's lockfile names. */
export function installCommand(folders: string[]): string {
  const managers: [string, string][] = [
    ["pnpm-lock.yaml", "pnpm add -D quickback-kv"],
    ["yarn.lock", "yarn add -D quickback-kv"],
    ["bun.lock", "bun add -d quickback-kv"],
    ["bun.lockb", "bun add -d quickback-kv"],
    ["package-lock.json", "npm install -D quickback-kv"],
  ];
  for (const folder of folders) {
    for (const [lockfile, command] of managers) {
      if (existsSync(path.join(folder, lockfile))) return command;
    }
  }
  return "npm install -D quickback-kv";
}

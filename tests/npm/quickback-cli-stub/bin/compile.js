#!/usr/bin/env node
// Stand-in for `npx @quickback-dev/cli compile` (the real compiler is hosted): it
// rewrites wrangler.toml, src/env.d.ts and src/lib/auth.ts with what Quickback
// generated for this project (QUICKBACK_STUB_OUTPUT, a directory), as the real one
// does on every run, so quickback-kv's wiring is gone until it runs again.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

if (process.argv[2] !== "compile") {
  process.stderr.write("usage: quickback compile\n");
  process.exit(2);
}
const from = process.env.QUICKBACK_STUB_OUTPUT;
for (const file of ["wrangler.toml", "src/lib/auth.ts"]) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(path.join(from, file), file);
}
process.stdout.write("quickback: compiled\n");

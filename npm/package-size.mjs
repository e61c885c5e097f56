// The unpacked size of an assembled package, as npm reports it (`npm pack --dry-run`):
//   node npm/package-size.mjs DIR [MAX_BYTES]
// prints the size in bytes; with MAX_BYTES, exits 1 when the package is larger. The
// release workflow checks the linux-x64 platform package with it (6 MB: a stripped
// binary is ~4.6 MB; with debug info it was 23 MB), and so does tests/npm/ when given
// a release binary (QK_RELEASE_BIN).
import { execFileSync } from "node:child_process";

const [dir, max] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: node npm/package-size.mjs DIR [MAX_BYTES]\n");
  process.exit(2);
}
const [report] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: dir, encoding: "utf8" }));
process.stdout.write(`${report.unpackedSize}\n`);
if (max !== undefined && report.unpackedSize > Number(max)) {
  process.stderr.write(`${report.name}: ${report.unpackedSize} bytes unpacked, over the limit of ${max}\n`);
  process.exit(1);
}

//! A short, deterministic run of the fuzzing oracle (`fuzz/oracle.rs`) on
//! stable Rust, so CI catches what the fuzzer would: a fixed seed, a fixed
//! number of mutations of the fixtures' configs, wrangler files, existing
//! `src/env.d.ts` and `src/lib/auth.ts` (one text mutated per case), each
//! compiled in-process; every 16th also through the binary (exit code, no write
//! on error, a second build changes nothing). Then every saved finding in
//! `fuzz/regressions/` is replayed. `fuzz/run.sh` runs the real fuzzer.

#[path = "../fuzz/oracle.rs"]
mod oracle;

use std::path::{Path, PathBuf};

use oracle::{Case, Format};

const SEED: u64 = 0x5eed_f00d_ab1e;
const CASES: usize = 1000;
const CLI_EVERY: usize = 16;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Pieces the mutator inserts: the tokens behind the issues fuzzing found.
const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "\"",
    "'",
    "`",
    "${",
    "/",
    "//",
    "/*",
    "\n",
    "\r\n",
    ",",
    ";",
    ":",
    "=",
    "#",
    "@",
    "\\",
    "\u{1b}[31m",
    "\u{feff}",
    "\u{0}",
    "A<y, ",
    "while(a)",
    "else ",
    "/\"/",
    "kv_namespaces",
    "[[kv_namespaces]]",
    "[env.staging]",
    "binding = \"KV\"",
    "\"kv_namespaces\": [",
    "namespaceId",
    "0f2ac74b498b48028cb68387c421e279",
    "compatibilityDate",
    "# Managed by quickback-kv",
    "// Managed by quickback-kv",
    " // quickback-kv: x",
    " /* quickback-kv: x */",
    "/**\n * Added by quickback-kv: x\n */\n",
    "// quickback-kv: begin\n",
    "// quickback-kv: end\n",
    "betterAuth({",
    "secondaryStorage: ",
    "rateLimit: { storage: \"memory\" }, ",
    "KVNamespace",
    "export interface Env { ",
    "process.env.X",
    "é",
    "\u{2028}",
];

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, donors: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                bytes.splice(at..at, piece.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let end = (at + 1 + rng.below(32)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 if !bytes.is_empty() => {
                // Repeat a short slice: the way deep nesting is made.
                let start = rng.below(bytes.len());
                let end = (start + 1 + rng.below(8)).min(bytes.len());
                let slice = bytes[start..end].to_vec();
                let times = 1 + rng.below(300);
                let repeated: Vec<u8> = slice
                    .iter()
                    .copied()
                    .cycle()
                    .take(slice.len() * times)
                    .collect();
                bytes.splice(start..start, repeated);
            }
            4 if !donors.is_empty() => {
                let donor = &donors[rng.below(donors.len())];
                let start = rng.below(donor.len() + 1);
                let end = (start + rng.below(64)).min(donor.len());
                bytes.splice(at..at, donor[start..end].iter().copied());
            }
            _ => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                bytes.extend_from_slice(piece);
            }
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seeds() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("input"))
        .collect();
    dirs.sort();
    dirs.iter().filter_map(|d| seed(d)).collect()
}

fn seed(input: &Path) -> Option<Case> {
    let config = ["quickback/quickback.config.ts", "quickback.config.ts"]
        .iter()
        .find_map(|p| std::fs::read(input.join(p)).ok())?;
    let (format, wrangler) = [
        (Format::Json, "wrangler.json"),
        (Format::Jsonc, "wrangler.jsonc"),
        (Format::Toml, "wrangler.toml"),
    ]
    .iter()
    .find_map(|(f, name)| Some((*f, std::fs::read(input.join(name)).ok()?)))
    .unwrap_or((Format::None, Vec::new()));
    let env_types = std::fs::read(input.join(oracle::ENV_TYPES)).ok();
    let auth_module = std::fs::read(input.join(oracle::AUTH_MODULE)).ok();
    Some(Case {
        format,
        config,
        wrangler,
        env_types,
        auth_module,
    })
}

#[test]
fn mutated_fixtures_pass_the_oracle() {
    let seeds = seeds();
    assert!(seeds.len() >= 60, "expected the fixtures as seeds");
    let donors: Vec<Vec<u8>> = seeds
        .iter()
        .flat_map(|c| {
            [&c.config, &c.wrangler]
                .into_iter()
                .chain(c.env_types.iter())
                .chain(c.auth_module.iter())
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    let bin = Path::new(env!("CARGO_BIN_EXE_quickback-kv"));
    let work = tempfile::tempdir().unwrap();
    // For a longer look by hand: `QK_SMOKE_SEED=7 QK_SMOKE_CASES=20000 cargo test …`.
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = Rng(number("QK_SMOKE_SEED").filter(|&s| s != 0).unwrap_or(SEED));
    let cases = number("QK_SMOKE_CASES").map_or(CASES, |n| n as usize);
    let mut failures = Vec::new();
    for n in 0..cases {
        let mut case = seeds[rng.below(seeds.len())].clone();
        // Mutate one of the case's texts: the config, the wrangler file, or an
        // existing env.d.ts or auth module when the fixture has one.
        let mut texts = vec![&mut case.config, &mut case.wrangler];
        texts.extend(case.env_types.as_mut());
        texts.extend(case.auth_module.as_mut());
        let pick = rng.below(texts.len());
        mutate(&mut rng, texts[pick], &donors);
        if let Some(trace) = std::env::var_os("QK_SMOKE_TRACE") {
            // The case about to run, kept when a crash takes the test down.
            std::fs::write(trace, case.to_bytes()).unwrap();
        }
        let mut result = oracle::check_compile(&case);
        if result.is_ok() && n % CLI_EVERY == 0 {
            result = oracle::check_cli(&case, bin, &work.path().join("project"));
        }
        if let Err(problem) = result {
            let saved = work.path().join(format!("case-{n}"));
            std::fs::write(&saved, case.to_bytes()).unwrap();
            failures.push(format!(
                "case {n}: {problem} (bytes kept in {})",
                saved.display()
            ));
        }
    }
    if !failures.is_empty() {
        // Keep the cases for a look after the test.
        let _ = work.keep();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn saved_findings_still_pass() {
    let bin = Path::new(env!("CARGO_BIN_EXE_quickback-kv"));
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for target in ["compile", "lsp"] {
        let dir = root().join("fuzz/regressions").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let result = match target {
                "compile" => {
                    let case = Case::from_bytes(&data);
                    oracle::check_compile(&case)
                        .and_then(|()| oracle::check_cli(&case, bin, &work.path().join("p")))
                }
                _ => oracle::check_lsp(&data),
            };
            if let Err(problem) = result {
                failures.push(format!("{}: {problem}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Writes the fuzzers' seed corpora from the fixtures into `$QK_FUZZ_SEEDS`
/// (`fuzz/run.sh` does): `compile/<case>` as `fuzz/oracle.rs` reads a case, and
/// `lsp/<case>`, a framed session that opens the config, hovers, edits, asks
/// for fixes and shuts down.
#[test]
#[ignore = "run by fuzz/run.sh"]
fn write_fuzz_seeds() {
    let out = PathBuf::from(std::env::var_os("QK_FUZZ_SEEDS").expect("QK_FUZZ_SEEDS"));
    std::fs::create_dir_all(out.join("compile")).unwrap();
    std::fs::create_dir_all(out.join("lsp")).unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(case) = seed(&dir.join("input")) else {
            continue;
        };
        std::fs::write(out.join("compile").join(&name), case.to_bytes()).unwrap();
        let config = String::from_utf8_lossy(&case.config);
        std::fs::write(out.join("lsp").join(&name), session(&config)).unwrap();
    }
}

fn frame(body: serde_json::Value) -> String {
    let text = body.to_string();
    format!("Content-Length: {}\r\n\r\n{text}", text.len())
}

fn session(config: &str) -> Vec<u8> {
    use serde_json::json;
    let uri = "file:///tmp/quickback-kv-fuzz/quickback.config.ts";
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": config}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 10}}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 4}}, "text": "(("}]}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ];
    messages
        .into_iter()
        .map(frame)
        .collect::<String>()
        .into_bytes()
}

/// The oracle's kept-lines property on the fixtures' own before/after pairs of
/// `src/env.d.ts` and `src/lib/auth.ts`: it holds where the compiler edits a
/// foreign file, and it catches a user line lost or changed.
#[test]
fn kept_lines_property_on_fixture_pairs() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let (mut pairs, mut checked) = (0, 0);
    for dir in dirs {
        for (path, env) in [(oracle::ENV_TYPES, true), (oracle::AUTH_MODULE, false)] {
            let (Ok(input), Ok(expected)) = (
                std::fs::read_to_string(dir.join("input").join(path)),
                std::fs::read_to_string(dir.join("expected").join(path)),
            ) else {
                continue;
            };
            if input
                .trim_start_matches('\u{feff}')
                .starts_with("// Generated by quickback-kv")
            {
                continue;
            }
            pairs += 1;
            let name = format!("{}: {path}", dir.display());
            oracle::check_kept_lines(&name, &input, &expected, env).unwrap();
            // A user line dropped, or changed, is caught.
            let user_line = *input
                .lines()
                .filter(|l| l.contains(';') && !l.contains("quickback-kv"))
                .collect::<Vec<_>>()
                .last()
                .unwrap();
            let lines: Vec<&str> = expected.lines().collect();
            // (The line may be one the compiler edits in place: then no negative check.)
            let Some(at) = lines.iter().position(|l| *l == user_line) else {
                eprintln!("{name}: {user_line:?} is edited");
                continue;
            };
            checked += 1;
            let mut dropped = lines.clone();
            dropped.remove(at);
            assert!(oracle::check_kept_lines(&name, &input, &dropped.join("\n"), env).is_err());
            let mut changed = lines.clone();
            let edited = format!("{} x", lines[at]);
            changed[at] = &edited;
            assert!(oracle::check_kept_lines(&name, &input, &changed.join("\n"), env).is_err());
        }
    }
    assert!(
        pairs >= 10 && checked >= 10,
        "expected fixture pairs, found {pairs} ({checked} with a negative check)"
    );
}

/// Replays one case file by hand: `QK_REPLAY=path cargo test --test fuzz_smoke
/// replay -- --ignored --nocapture`, in-process on a thread of `QK_REPLAY_STACK`
/// bytes (default 4 MiB, what `compile_on_large_stack` promises to need at most
/// on the calling thread for shallow input), then through the binary.
#[test]
#[ignore = "a tool for looking at findings"]
fn replay() {
    let path = PathBuf::from(std::env::var_os("QK_REPLAY").expect("QK_REPLAY"));
    let stack = std::env::var("QK_REPLAY_STACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 << 20);
    let case = Case::from_bytes(&std::fs::read(path).unwrap());
    let in_process = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let result = oracle::check_compile(&case);
            (case, result)
        })
        .unwrap()
        .join()
        .unwrap();
    let (case, result) = in_process;
    println!("in process: {result:?}");
    let work = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_quickback-kv"));
    println!(
        "binary: {:?}",
        oracle::check_cli(&case, bin, &work.path().join("p"))
    );
    result.unwrap();
}

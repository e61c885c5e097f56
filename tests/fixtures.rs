//! The data-driven compiler test: every folder under `fixtures/` is one case.
//!
//! ```text
//! fixtures/<case>/
//!   input/            the project before `build` (config, optional wrangler.toml, old outputs)
//!   env               optional `NAME=value` lines: the environment `process.env` reads see
//!   diagnostics.txt   the expected diagnostics, short form; empty means "no diagnostics"
//!   expected/         every output file after `build`, byte for byte; empty when nothing is written
//! ```
//!
//! Every case is also compiled a second time on top of its own outputs, which must
//! change nothing. `UPDATE_EXPECT=1 cargo test --test fixtures` rewrites the
//! expectations; review the diff like code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quickback_kv::compile::{
    Action, Compilation, Contents, Inputs, Options, compile_on_large_stack,
};
use quickback_kv::diagnostics::human::render_short;
use quickback_kv::project::{ProjectPaths, read_inputs};

const ENV_TYPES: &str = "src/env.d.ts";
/// 2026-12-01T00:00:00Z.
const FIXTURE_CLOCK: u64 = 1_796_083_200;
const SESSION_ADAPTER: &str = "src/lib/kv-session-storage.ts";
const AUTH_MODULE: &str = "src/lib/auth.ts";

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 60,
        "expected the fixture folders under {}",
        root.display()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run_case(case, update).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn options() -> Options {
    Options {
        env_types_path: ENV_TYPES.to_string(),
        session_adapter_path: SESSION_ADAPTER.to_string(),
        auth_module_path: AUTH_MODULE.to_string(),
        command: "quickback-kv build".to_string(),
    }
}

fn compile(inputs: &Inputs) -> Compilation {
    compile_on_large_stack(inputs.clone(), options()).expect("the compiler panicked")
}

fn run_case(case: &Path, update: bool) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let fail = |message: String| Err(format!("--- {name}: {message}"));
    let env = read_env(&case.join("env"));
    let paths = ProjectPaths {
        root: &case.join("input"),
        config: None,
        env_types: ENV_TYPES,
        session_adapter: SESSION_ADAPTER,
        auth_module: AUTH_MODULE,
    };
    let (mut inputs, _) = read_inputs(&paths, env);
    // A fixed clock, so a new session key period is the same in every run (a
    // fixture's `env` file may set SOURCE_DATE_EPOCH, which wins).
    inputs.clock = Some(FIXTURE_CLOCK);
    let c = compile(&inputs);

    let diagnostics: String = c
        .diagnostics
        .iter()
        .map(|d| render_short(d, &c.files))
        .collect();
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    for output in &c.outputs {
        if let Action::Write(text) = &output.action {
            outputs.insert(output.path.clone(), text.clone());
        }
    }

    if update {
        std::fs::write(case.join("diagnostics.txt"), &diagnostics).unwrap();
        let expected = case.join("expected");
        let _ = std::fs::remove_dir_all(&expected);
        for (path, text) in &outputs {
            let file = expected.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
    }

    let expected_diagnostics = std::fs::read_to_string(case.join("diagnostics.txt"))
        .unwrap_or_else(|_| "<missing diagnostics.txt>".into());
    if diagnostics != expected_diagnostics {
        return fail(format!(
            "diagnostics differ\n--- expected\n{expected_diagnostics}--- actual\n{diagnostics}"
        ));
    }
    let expected_outputs = read_tree(&case.join("expected"));
    if expected_outputs.keys().ne(outputs.keys()) {
        return fail(format!(
            "output files differ: expected {:?}, got {:?}",
            expected_outputs.keys().collect::<Vec<_>>(),
            outputs.keys().collect::<Vec<_>>()
        ));
    }
    for (path, text) in &outputs {
        if &expected_outputs[path] != text {
            let diff =
                similar::TextDiff::from_lines(expected_outputs[path].as_str(), text.as_str())
                    .unified_diff()
                    .header("expected", "actual")
                    .to_string();
            return fail(format!("{path} differs\n{diff}"));
        }
    }
    if c.has_errors() {
        return Ok(());
    }

    // A second build on top of the first changes nothing.
    let mut again = inputs.clone();
    for output in &c.outputs {
        let contents = match &output.action {
            Action::Write(text) => Contents::Bytes(text.clone().into_bytes()),
            Action::Delete => Contents::Missing,
        };
        let slot = again
            .wrangler
            .iter_mut()
            .chain(again.existing_outputs.iter_mut())
            .chain(std::iter::once(&mut again.auth_module))
            .find(|f| f.path == output.path);
        match slot {
            Some(slot) => slot.contents = contents,
            None => {
                return fail(format!(
                    "output {} is neither the wrangler file nor a generated file",
                    output.path
                ));
            }
        }
    }
    let second = compile(&again);
    let rewrites: Vec<&str> = second
        .outputs
        .iter()
        .filter(|o| match &o.action {
            Action::Write(text) => outputs.get(&o.path) != Some(text),
            Action::Delete => outputs.contains_key(&o.path),
        })
        .map(|o| o.path.as_str())
        .collect();
    if !rewrites.is_empty() {
        return fail(format!("a second build would change {rewrites:?}"));
    }
    Ok(())
}

fn read_env(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

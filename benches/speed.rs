//! Speed benchmark for SPEC §5. Run with `cargo bench --bench speed`.
//!
//! One run measures, with medians (the machine is assumed noisy, so the
//! figures that matter are the ratios taken within the same run):
//! 1. whole-process `quickback-kv build --quiet` on a copy of `example/`:
//!    once with the generated outputs missing (they are written) and once with
//!    everything up to date (a second, no-change run);
//! 2. whole-process `quickback-kv check --quiet` on generated ~1 MiB and
//!    ~8 MiB configs (after a `build` has written the outputs);
//! 3. for the same files, in-process: swc's parse alone, the compiler's
//!    `syntax::parse` (depth pre-scan + swc + lowering), the depth pre-scan
//!    alone, and the whole in-process `compile::compile`.
//!
//! 4. side by side on one copy of `example/`, interleaved: the whole-process
//!    `quickback-kv build` (outputs missing, so it does its whole job) and
//!    `wrangler types` (the pinned wrangler from `tests/node_modules`, run by the
//!    pinned Node 22; `npm ci --prefix tests` installs both), and their ratio.
//!
//! 5. in the rounds of part 1: a hello-world Rust process built with the same
//!    profile and linking (`startup.rs`), and `build ÷ hello` (goal ≤ 1.3x);
//!    `SPEED_BINARIES=label=path,...` adds other builds of quickback-kv to those rounds.
//!
//! Measurements of one size are interleaved round by round so noise hits all
//! of them alike. Everything runs on a thread with a 256 MiB stack, as the
//! library's `compile_on_large_stack` gives inputs the pre-scan finds deep (the
//! generated configs are not: the CLI compiles them on its main thread).
//!
//! Environment: `SPEED_QUICK=1` cuts the iteration counts (for a smoke run);
//! `SPEED_NO_WRANGLER=1` leaves out part 4 (it needs `npm ci --prefix tests`);
//! `SPEED_DUMP_DIR=<dir>` also writes the generated configs there (for profiling).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod startup;

use quickback_kv::compile::{self, Contents, FileInput, Inputs, Options};
use quickback_kv::span::FileId;
use quickback_kv::syntax;
use swc_common::sync::Lrc;
use swc_common::{BytePos, FileName, SourceFile};
use swc_ecma_ast::EsVersion;
use swc_ecma_parser::{Syntax, parse_file_as_module};

const BIN: &str = env!("CARGO_BIN_EXE_quickback-kv");
const CONFIG_PATH: &str = "quickback/quickback.config.ts";
const ENV_TYPES: &str = "src/env.d.ts";
const ADAPTER: &str = "src/lib/kv-session-storage.ts";
const MIB: usize = 1 << 20;

fn main() {
    // Child mode: a swc-only process (read the file, parse, exit), the
    // whole-process baseline for `check`. Its AST is not freed, as a
    // parse-only tool would not bother to.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--swc-only") {
        let path = args.get(i + 1).expect("--swc-only <file>");
        let outcome = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn({
                let path = path.clone();
                move || {
                    let text = std::fs::read_to_string(&path).expect("read config");
                    let name = Lrc::new(FileName::Custom(CONFIG_PATH.to_string()));
                    let source =
                        SourceFile::new(name.clone(), false, name, text.into(), BytePos(1));
                    let mut recovered = Vec::new();
                    let module = parse_file_as_module(
                        &source,
                        Syntax::Typescript(Default::default()),
                        EsVersion::latest(),
                        None,
                        &mut recovered,
                    );
                    let ok = module.is_ok() && recovered.is_empty();
                    std::mem::forget(module);
                    ok
                }
            })
            .expect("spawn")
            .join();
        std::process::exit(if matches!(outcome, Ok(true)) { 0 } else { 1 });
    }
    let result = std::thread::Builder::new()
        .name("speed-bench".into())
        .stack_size(256 << 20)
        .spawn(run)
        .expect("spawn bench thread")
        .join();
    if result.is_err() {
        std::process::exit(1);
    }
}

struct Counts {
    example: usize,
    process_floor: usize,
    /// Rounds over the generated configs; each measures ~8 MiB once and ~1 MiB `small_per_round` times.
    rounds: usize,
    small_per_round: usize,
}

fn run() {
    let quick = std::env::var_os("SPEED_QUICK").is_some();
    let counts = if quick {
        Counts {
            example: 5,
            process_floor: 5,
            rounds: 2,
            small_per_round: 2,
        }
    } else {
        Counts {
            example: 50,
            process_floor: 30,
            rounds: 9,
            small_per_round: 2,
        }
    };
    let started = Instant::now();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example");
    let mut table = Table::default();

    eprintln!("speed: binary {BIN}");
    bench_example(&example, &counts, &mut table);
    let start_up = bench_start_up(&example, counts.example * 2);
    if std::env::var_os("SPEED_ONLY_STARTUP").is_some() {
        println!("\n{}", start_up.render());
        return;
    }
    // Both sizes are measured round by round, so load changes on the machine
    // hit both alike and the per-MiB comparison stays meaningful.
    let mut small = prepare_large(&example, "~1 MiB", MIB);
    let mut large = prepare_large(&example, "~8 MiB", 8 * MIB);
    for round in 0..counts.rounds {
        for _ in 0..counts.small_per_round {
            measure(&mut small);
        }
        measure(&mut large);
        eprintln!("speed: round {}/{} done", round + 1, counts.rounds);
    }
    let ratios = vec![
        report_large(&small, &mut table),
        report_large(&large, &mut table),
    ];
    let versus = if std::env::var_os("SPEED_NO_WRANGLER").is_some() {
        None
    } else {
        Some(versus_wrangler(
            &example,
            if quick { 2 } else { 7 },
            &mut table,
        ))
    };

    println!();
    println!(
        "Measured with `cargo bench --bench speed` ({}; {} cores; {}).",
        cpu_model(),
        cores(),
        rustc_note()
    );
    println!("Medians; wall time. Whole-process rows run the release binary with `--quiet`.");
    println!();
    print!("{}", table.render());
    println!();
    print!("{}", start_up.render());
    println!();
    for r in &ratios {
        println!(
            "- {}: whole-process check / in-process swc parse = {:.2}x; whole-process check / swc-only process = {:.2}x; \
             in-process compile / swc parse = {:.2}x. Where the in-process compile's {:.1} ms go (medians of per-round differences): \
             depth pre-scan {:.1} ms, swc parse {:.1} ms, dropping swc's AST {:.1} ms, lowering {:.1} ms, \
             the rest (reading inputs, eval, emit, dropping our AST) {:.1} ms.",
            r.label,
            r.process / r.swc,
            r.process / r.swc_process,
            r.compile / r.swc,
            r.compile,
            r.depth,
            r.swc,
            r.drop_swc_ast,
            r.lowering,
            r.rest,
        );
    }
    if let [small, large] = &ratios[..] {
        println!(
            "- Per MiB, ~8 MiB vs ~1 MiB: whole-process check {:.2}x, in-process compile {:.2}x, swc parse {:.2}x (1.00x = linear).",
            (large.process / large.mib) / (small.process / small.mib),
            (large.compile / large.mib) / (small.compile / small.mib),
            (large.swc / large.mib) / (small.swc / small.mib),
        );
        let verdict = |worst: f64| if worst <= 2.0 { "met" } else { "NOT met" };
        let in_process = ratios.iter().map(|r| r.compile / r.swc).fold(0.0, f64::max);
        let process = ratios
            .iter()
            .map(|r| r.process / r.swc_process)
            .fold(0.0, f64::max);
        let strict = ratios.iter().map(|r| r.process / r.swc).fold(0.0, f64::max);
        println!(
            "- SPEC §5 target (whole compile within 2x of swc's parse): in-process compile vs swc parse: {} (worst {in_process:.2}x); \
             whole-process check vs a swc-only process: {} (worst {process:.2}x); whole-process check vs in-process swc parse: {} (worst {strict:.2}x).",
            verdict(in_process),
            verdict(process),
            verdict(strict),
        );
    }
    if let Some(v) = versus {
        println!(
            "- Side by side on `example/` ({} interleaved rounds): `wrangler types` {:.0} ms, `quickback-kv build` {:.2} ms: \
             quickback-kv is {:.0}x faster (SPEC §5 target: at least 300x: {}).",
            v.rounds,
            ms(v.wrangler),
            ms(v.build),
            v.wrangler.as_secs_f64() / v.build.as_secs_f64(),
            if v.wrangler.as_secs_f64() / v.build.as_secs_f64() >= 300.0 {
                "met"
            } else {
                "NOT met"
            },
        );
    }
    eprintln!(
        "speed: finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// 4. Side by side with `wrangler types` on the same project.
// ---------------------------------------------------------------------------

struct Versus {
    rounds: usize,
    wrangler: Duration,
    build: Duration,
}

fn versus_wrangler(example: &Path, rounds: usize, table: &mut Table) -> Versus {
    let bin_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node_modules/.bin");
    let wrangler = bin_dir.join("wrangler");
    assert!(
        wrangler.exists() && bin_dir.join("node").exists(),
        "part 4 needs the pinned wrangler and Node 22: run `npm ci --prefix tests` first (or set SPEED_NO_WRANGLER=1)"
    );
    // `#!/usr/bin/env node` must find the pinned Node 22, not the machine's.
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(example, dir.path());
    let wrangler_types = || {
        let mut command = Command::new(&wrangler);
        command
            .arg("types")
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("XDG_CONFIG_HOME", dir.path().join(".xdg"))
            .env("WRANGLER_LOG_PATH", dir.path().join(".wrangler-logs"));
        time_process(&mut command, 0)
    };
    let build = || {
        for generated in [ENV_TYPES, ADAPTER] {
            let _ = std::fs::remove_file(dir.path().join(generated));
        }
        run_cli("build", dir.path(), 0)
    };
    // One cold run of each (wrangler's first start compiles and caches more).
    wrangler_types();
    build();
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        w.push(wrangler_types());
        for _ in 0..5 {
            b.push(build());
        }
        eprintln!("speed: versus wrangler round {}/{rounds} done", round + 1);
    }
    assert!(
        dir.path().join("worker-configuration.d.ts").exists(),
        "wrangler types wrote nothing"
    );
    let input = "`example/`".to_string();
    table.row(
        "whole-process `wrangler types` (pinned 4.116.0, Node 22)",
        &input,
        median(&w),
        None,
        None,
        w.len(),
    );
    table.row(
        "whole-process `quickback-kv build`, same rounds (writes 2 files)",
        &input,
        median(&b),
        None,
        None,
        b.len(),
    );
    Versus {
        rounds,
        wrangler: median(&w),
        build: median(&b),
    }
}

// ---------------------------------------------------------------------------
// 1. The example project, whole process.
// ---------------------------------------------------------------------------

/// Start-up against the floor: whole-process `build` (outputs missing) of each binary and
/// a hello world with the same profile and linking, measured in the same rounds.
struct StartUp {
    rows: Vec<StartUpRow>,
}

struct StartUpRow {
    label: String,
    binary: PathBuf,
    linking: startup::Linking,
    hello: PathBuf,
    build: Vec<Duration>,
    hello_runs: Vec<Duration>,
}

impl StartUp {
    /// This binary, plus those of `SPEED_BINARIES=label=path,label=path` (other builds
    /// of quickback-kv, e.g. other linking) side by side; hello worlds built in `dir`.
    fn new(dir: &Path) -> StartUp {
        let mut binaries = vec![("this binary".to_string(), PathBuf::from(BIN))];
        if let Ok(list) = std::env::var("SPEED_BINARIES") {
            for item in list.split(',').filter(|s| !s.is_empty()) {
                let (label, path) = item
                    .split_once('=')
                    .expect("SPEED_BINARIES: label=path,label=path");
                binaries.push((label.to_string(), PathBuf::from(path)));
            }
        }
        let rows = binaries
            .into_iter()
            .map(|(label, binary)| {
                let linking = startup::linking(&binary).expect("an x86_64 ELF binary");
                let hello = startup::hello_world(dir, linking);
                StartUpRow {
                    label,
                    binary,
                    linking,
                    hello,
                    build: Vec::new(),
                    hello_runs: Vec::new(),
                }
            })
            .collect();
        StartUp { rows }
    }

    fn render(&self) -> String {
        let mut out = String::from(
            "| Binary | Linking | `build`, outputs missing: median (min) ms | hello world, same profile and linking: median (min) ms | build ÷ hello: medians (mins) | Runs |\n\
             |---|---|---:|---:|---:|---:|\n",
        );
        let min = |d: &[Duration]| ms(d.iter().copied().min().unwrap_or_default());
        for r in &self.rows {
            let (b, h) = (ms(median(&r.build)), ms(median(&r.hello_runs)));
            let (bm, hm) = (min(&r.build), min(&r.hello_runs));
            let _ = writeln!(
                out,
                "| {} | {} | {b:.2} ({bm:.2}) | {h:.2} ({hm:.2}) | {:.2}x ({:.2}x) | {} |",
                r.label,
                r.linking.name(),
                b / h,
                bm / hm,
                r.build.len()
            );
        }
        let this = &self.rows[0];
        let ratio = ms(median(&this.build)) / ms(median(&this.hello_runs));
        let _ = writeln!(
            out,
            "\n- Goal: whole-process `build` within 1.3x of a hello-world process built with the same profile: {} ({ratio:.2}x, medians).",
            if ratio <= 1.3 { "met" } else { "NOT met" }
        );
        out
    }
}

fn bench_start_up(example: &Path, rounds: usize) -> StartUp {
    let hello_dir = tempfile::tempdir().expect("temp dir");
    let mut start_up = StartUp::new(hello_dir.path());
    let projects: Vec<tempfile::TempDir> = start_up
        .rows
        .iter()
        .map(|row| {
            eprintln!(
                "speed: {} is {}: {}",
                row.label,
                row.linking.name(),
                row.binary.display()
            );
            let dir = tempfile::tempdir().expect("temp dir");
            copy_dir(example, dir.path());
            dir
        })
        .collect();
    let n = start_up.rows.len();
    for round in 0..rounds + 3 {
        for k in (0..n).map(|k| (k + round) % n) {
            let (row, dir) = (&mut start_up.rows[k], projects[k].path());
            for generated in [ENV_TYPES, ADAPTER] {
                let _ = std::fs::remove_file(dir.join(generated));
            }
            let build = time_process(
                Command::new(&row.binary)
                    .arg("build")
                    .arg("--root")
                    .arg(dir)
                    .arg("--quiet"),
                0,
            );
            let hello = time_process(&mut Command::new(&row.hello), 0);
            // The first rounds warm the page cache.
            if round >= 3 {
                row.build.push(build);
                row.hello_runs.push(hello);
            }
        }
    }
    start_up
}

fn bench_example(example: &Path, counts: &Counts, table: &mut Table) {
    let mut fresh = Vec::new();
    let mut unchanged = Vec::new();
    let mut floor = Vec::new();
    // Warm the page cache and the binary.
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(example, dir.path());
        run_cli("build", dir.path(), 0);
    }
    for i in 0..counts.example {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(example, dir.path());
        // A first build: the generated outputs do not exist yet and are written.
        for generated in [ENV_TYPES, ADAPTER] {
            let _ = std::fs::remove_file(dir.path().join(generated));
        }
        fresh.push(run_cli("build", dir.path(), 0));
        assert!(
            dir.path().join(ENV_TYPES).exists(),
            "build did not write {ENV_TYPES}"
        );
        // A second build: everything is up to date, nothing is written.
        let before = snapshot(dir.path());
        unchanged.push(run_cli("build", dir.path(), 0));
        assert_eq!(before, snapshot(dir.path()), "a second build changed files");
        if i < counts.process_floor {
            floor.push(time_process(Command::new(BIN).arg("--version"), 0));
        }
    }
    let size = std::fs::metadata(example.join(CONFIG_PATH))
        .map(|m| m.len())
        .unwrap_or(0);
    let input = format!("`example/` ({size} B config)");
    table.row(
        "whole-process `build`, outputs missing (writes 2 files)",
        &input,
        median(&fresh),
        None,
        None,
        fresh.len(),
    );
    table.row(
        "whole-process `build`, second run (no change)",
        &input,
        median(&unchanged),
        None,
        None,
        unchanged.len(),
    );
    table.row(
        "process floor: `quickback-kv --version`",
        "-",
        median(&floor),
        None,
        None,
        floor.len(),
    );
}

// ---------------------------------------------------------------------------
// 2 and 3. Generated multi-MiB configs: whole-process check and in-process phases.
// ---------------------------------------------------------------------------

struct Ratios {
    label: &'static str,
    mib: f64,
    process: f64,
    compile: f64,
    depth: f64,
    swc: f64,
    swc_process: f64,
    /// Per-round paired differences (medians), ms: robust against load drifting between rounds.
    drop_swc_ast: f64,
    lowering: f64,
    rest: f64,
}

/// One generated config in a built temp project, with its in-process inputs.
struct Large {
    label: &'static str,
    text: String,
    mib: f64,
    dir: tempfile::TempDir,
    inputs: Inputs,
    options: Options,
    samples: [Vec<Duration>; 7],
}

// Indices into `Large::samples`.
const PROCESS: usize = 0;
const SWC_PROCESS: usize = 1;
const COMPILE: usize = 2;
const SYNTAX: usize = 3;
const DEPTH: usize = 4;
const SWC_DROP: usize = 5;
const SWC: usize = 6;

fn prepare_large(example: &Path, label: &'static str, size: usize) -> Large {
    let text = generate_config(size);
    let mib = text.len() as f64 / MIB as f64;
    if let Some(dump) = std::env::var_os("SPEED_DUMP_DIR") {
        let path = Path::new(&dump).join(format!("config-{}mib.ts", size / MIB));
        std::fs::create_dir_all(&dump)
            .and_then(|()| std::fs::write(&path, &text))
            .expect("write SPEED_DUMP_DIR");
        eprintln!("speed: wrote {}", path.display());
    }
    eprintln!(
        "speed: {label}: generated {} bytes ({mib:.2} MiB), max bracket depth {}",
        text.len(),
        max_depth(&text)
    );

    // A project around the config, built once so `check` finds its outputs up to date.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("quickback")).unwrap();
    std::fs::copy(
        example.join("wrangler.toml"),
        dir.path().join("wrangler.toml"),
    )
    .unwrap();
    std::fs::write(dir.path().join(CONFIG_PATH), &text).unwrap();
    run_cli("build", dir.path(), 0);
    run_cli("check", dir.path(), 0);

    let read = |p: &str| FileInput {
        path: p.to_string(),
        contents: match std::fs::read(dir.path().join(p)) {
            Ok(bytes) => Contents::Bytes(bytes),
            Err(_) => Contents::Missing,
        },
    };
    let inputs = Inputs {
        config: FileInput {
            path: CONFIG_PATH.to_string(),
            contents: Contents::Bytes(text.clone().into_bytes()),
        },
        wrangler: compile::WRANGLER_FILES.iter().map(|f| read(f)).collect(),
        existing_outputs: vec![read(ENV_TYPES), read(ADAPTER)],
        auth_module: read("src/lib/auth.ts"),
        env: BTreeMap::new(),
        packages: Vec::new(),
        clock: None,
    };
    let options = Options {
        env_types_path: ENV_TYPES.to_string(),
        session_adapter_path: ADAPTER.to_string(),
        auth_module_path: "src/lib/auth.ts".to_string(),
        command: "quickback-kv build".to_string(),
    };
    // The in-process compile must take the success path, as the CLI run does.
    let c = compile::compile(&inputs, &options);
    assert!(
        c.diagnostics.is_empty(),
        "{label}: generated config has diagnostics: {:?}",
        c.diagnostics
    );
    assert!(!c.outputs.is_empty(), "{label}: no outputs");
    drop(c);
    swc_parse(&text);
    let large = Large {
        label,
        text,
        mib,
        dir,
        inputs,
        options,
        samples: Default::default(),
    };
    swc_process(&large);
    large
}

fn swc_process(large: &Large) -> Duration {
    let self_exe = std::env::current_exe().expect("current exe");
    time_process(
        Command::new(self_exe)
            .arg("--swc-only")
            .arg(large.dir.path().join(CONFIG_PATH)),
        0,
    )
}

/// One sample of every measurement of one config.
fn measure(large: &mut Large) {
    let text = &large.text;
    let sample = [
        run_cli("check", large.dir.path(), 0),
        swc_process(large),
        time(|| compile::compile(&large.inputs, &large.options)),
        time(|| syntax::parse(FileId(0), CONFIG_PATH, text).expect("parses")),
        time(|| syntax::depth::too_deep(text)),
        swc_parse_and_drop(text),
        swc_parse(text),
    ];
    for (samples, d) in large.samples.iter_mut().zip(sample) {
        samples.push(d);
    }
}

/// The median over samples of `f` applied to one sample's measurements (in ms).
fn paired(large: &Large, f: impl Fn(&[f64; 7]) -> f64) -> f64 {
    let n = large.samples[0].len();
    let mut values: Vec<f64> = (0..n)
        .map(|i| f(&std::array::from_fn(|k| ms(large.samples[k][i]))))
        .collect();
    values.sort_by(f64::total_cmp);
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn report_large(large: &Large, table: &mut Table) -> Ratios {
    let m = |i: usize| ms(median(&large.samples[i]));
    let r = Ratios {
        label: large.label,
        mib: large.mib,
        process: m(PROCESS),
        compile: m(COMPILE),
        depth: m(DEPTH),
        swc: m(SWC),
        swc_process: m(SWC_PROCESS),
        drop_swc_ast: paired(large, |s| s[SWC_DROP] - s[SWC]),
        lowering: paired(large, |s| s[SYNTAX] - s[DEPTH] - s[SWC_DROP]),
        rest: paired(large, |s| s[COMPILE] - s[SYNTAX]),
    };
    let input = format!("{} ({:.2} MiB)", large.label, large.mib);
    let rows = [
        (PROCESS, "whole-process `check` (up to date)"),
        (
            SWC_PROCESS,
            "whole-process swc-only parse (read + parse, AST not freed)",
        ),
        (COMPILE, "in-process `compile::compile`"),
        (
            SYNTAX,
            "in-process `syntax::parse` (pre-scan + swc + lowering)",
        ),
        (DEPTH, "in-process `syntax::depth::too_deep` (pre-scan)"),
        (SWC_DROP, "swc `parse_file_as_module` + drop of its AST"),
        (SWC, "swc `parse_file_as_module` alone (baseline)"),
    ];
    for (i, what) in rows {
        let samples = &large.samples[i];
        table.row(
            what,
            &input,
            median(samples),
            Some(large.mib),
            Some(m(i) / r.swc),
            samples.len(),
        );
    }
    r
}

/// swc's parse as a plain user of swc does it: source file, then parse. The
/// module is dropped outside the timing (the compiler's figures include that drop).
fn swc_parse(text: &str) -> Duration {
    swc_parse_timed(text, false)
}

/// The same, with the drop of swc's AST inside the timing.
fn swc_parse_and_drop(text: &str) -> Duration {
    swc_parse_timed(text, true)
}

fn swc_parse_timed(text: &str, include_drop: bool) -> Duration {
    let start = Instant::now();
    let name = Lrc::new(FileName::Custom(CONFIG_PATH.to_string()));
    let source = SourceFile::new(
        name.clone(),
        false,
        name,
        text.to_string().into(),
        BytePos(1),
    );
    let mut recovered = Vec::new();
    let module = parse_file_as_module(
        &source,
        Syntax::Typescript(Default::default()),
        EsVersion::latest(),
        None,
        &mut recovered,
    );
    let ok = module.is_ok() && recovered.is_empty();
    let mut elapsed = start.elapsed();
    if include_drop {
        drop(module);
        elapsed = start.elapsed();
    } else {
        drop(module);
    }
    assert!(ok, "swc could not parse the generated config");
    elapsed
}

// ---------------------------------------------------------------------------
// The generated config.
// ---------------------------------------------------------------------------

const HEADER: &str = r#"// Quickback config of a mid-sized commerce API.
// The KV part is what quickback-kv reads; everything else is the rest of a
// real project's config: handlers, hooks, routes, feature lists.
import { defineConfig, defineAuth, defineDatabase, defineRuntime, defineStorage } from "@quickback/compiler";
import type { Context } from "hono";
import type { RouteDefinition, HookContext } from "@quickback/compiler";

/* Namespace ids; pipelines override the KV id per deployment. */
const IDS = {
  kv: process.env.KV_NAMESPACE_ID ?? "0f2ac74b498b48028cb68387c421e279",
  d1: "d1d7a6b0-5e8f-4c2a-9b1e-2f3a4b5c6d7e",
} as const;

const SERVICE_NAME = "acme-commerce";
const DEFAULT_PAGE_SIZE = 50;
"#;

/// Top-level statements of one module; `@N@` is the module number, `@M@` a varying number.
const MODULE_TOP: &str = r#"
// ---------------------------------------------------------------------------
// Orders module @N@: types, validation, handlers and routes.
// ---------------------------------------------------------------------------

/** A row of the orders_@N@ table. */
interface Order@N@ {
  id: string;
  customerId: string;
  total: number;
  status: "pending" | "paid" | "shipped" | "cancelled";
  items: Array<{ sku: string; quantity: number; price: number }>;
  createdAt?: Date;
}

type OrderStatus@N@ = Order@N@["status"];

const LIMITS_@N@ = {
  maxItems: @M@,
  maxTotal: 99_999.5,
  currency: "EUR",
  regions: ["eu-west", "us-east", "ap-south"],
  retry: { attempts: 3, backoffMs: 250, jitter: true },
} as const;

const SKU_PATTERN_@N@ = /^[A-Z]{3}-\d{4,6}$/u;

export async function listOrders@N@(c: Context, query: { page?: number; status?: OrderStatus@N@ }): Promise<Response> {
  const page = Math.max(1, query.page ?? 1);
  const offset = (page - 1) * DEFAULT_PAGE_SIZE;
  const { results } = await c.env.DB.prepare(`SELECT * FROM orders_@N@ WHERE status = ?1 LIMIT ${DEFAULT_PAGE_SIZE} OFFSET ?2`)
    .bind(query.status ?? "pending", offset)
    .all<Order@N@>();
  if (!results.length) {
    return c.json({ items: [], page, next: null }, 200);
  }
  const total = results.reduce((sum, order) => sum + order.total, 0);
  return c.json({ items: results, page, next: page + 1, total: Math.round(total * 100) / 100 });
}

function validateOrder@N@(input: unknown): input is Order@N@ {
  if (typeof input !== "object" || input === null) return false;
  const order = input as Partial<Order@N@>;
  for (const item of order.items ?? []) {
    if (!SKU_PATTERN_@N@.test(item.sku) || item.quantity <= 0 || item.quantity > LIMITS_@N@.maxItems) {
      return false;
    }
  }
  return typeof order.id === "string" && (order.total ?? 0) <= LIMITS_@N@.maxTotal;
}

export class OrderCache@N@ {
  #ttl = @M@ * 60;
  constructor(private readonly kv: KVNamespace, private readonly prefix = "orders:@N@:") {}
  async get(id: string): Promise<Order@N@ | null> {
    return (await this.kv.get<Order@N@>(`${this.prefix}${id}`, "json")) ?? null;
  }
  async put(order: Order@N@): Promise<void> {
    await this.kv.put(`${this.prefix}${order.id}`, JSON.stringify(order), { expirationTtl: this.#ttl });
  }
}

const routes@N@ = [
  { method: "GET", path: "/api/v1/orders-@N@", handler: listOrders@N@, auth: true, rateLimit: { window: 60, max: @M@ } },
  { method: "GET", path: "/api/v1/orders-@N@/:id", auth: true, cache: { ttl: 30, vary: ["authorization"] } },
  { method: "POST", path: "/api/v1/orders-@N@", auth: true, roles: ["admin", "sales"], body: "Order@N@" },
  { method: "DELETE", path: "/api/v1/orders-@N@/:id", auth: true, roles: ["admin"], audit: true },
] satisfies RouteDefinition[];
"#;

/// Properties of `handlers: { ... }` inside `defineConfig`.
const MODULE_HANDLERS: &str = r#"
    // Orders @N@
    orders@N@: {
      list: listOrders@N@,
      create: async (c: Context) => {
        const body = await c.req.json();
        if (!validateOrder@N@(body)) {
          return c.json({ error: "invalid order", module: @N@ }, 400);
        }
        await new OrderCache@N@(c.env.KV).put(body);
        return c.json(body, 201);
      },
      remove: async (c: Context) => {
        const id = c.req.param("id");
        await c.env.DB.prepare("DELETE FROM orders_@N@ WHERE id = ?1").bind(id).run();
        return new Response(null, { status: 204 });
      },
    },
"#;

/// Properties of `hooks: { ... }` inside `defineConfig`.
const MODULE_HOOKS: &str = r#"
    async afterOrder@N@(ctx: HookContext, order: Order@N@) {
      const payload = { id: order.id, status: order.status, service: SERVICE_NAME, at: Date.now() };
      await fetch(`https://hooks.example.com/orders/@N@?retry=${LIMITS_@N@.retry.attempts}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-module": "@N@" },
        body: JSON.stringify(payload),
      });
      ctx.log?.info("order @N@ forwarded", payload);
    },
"#;

const MODULE_ROUTES: &str = "    ...routes@N@,\n";
const MODULE_FEATURES: &str = "    \"orders-@N@\", \"orders-@N@-export\", \"orders-@N@-audit\",\n";

/// A realistic-shaped config of about `target` bytes, brackets nested at most a few levels.
fn generate_config(target: usize) -> String {
    let footer_reserve = 2048;
    let (mut top, mut handlers, mut hooks, mut routes, mut features) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut n = 0usize;
    while HEADER.len()
        + top.len()
        + handlers.len()
        + hooks.len()
        + routes.len()
        + features.len()
        + footer_reserve
        < target
    {
        let m = (n * 37 % 500 + 20).to_string();
        let ns = n.to_string();
        let fill = |template: &str| template.replace("@N@", &ns).replace("@M@", &m);
        top.push_str(&fill(MODULE_TOP));
        handlers.push_str(&fill(MODULE_HANDLERS));
        hooks.push_str(&fill(MODULE_HOOKS));
        routes.push_str(&fill(MODULE_ROUTES));
        features.push_str(&fill(MODULE_FEATURES));
        n += 1;
    }
    let mut out = String::with_capacity(target + 4096);
    out.push_str(HEADER);
    out.push_str(&top);
    let _ = write!(
        out,
        r#"
export default defineConfig({{
  name: "acme-commerce",
  template: "hono",
  // {n} order modules follow.
  features: [
    "organizations", "api-keys",
{features}  ],
  providers: {{
    runtime: defineRuntime("cloudflare", {{ compatibilityDate: "2026-06-01" }}),
    database: defineDatabase("cloudflare-d1", {{
      binding: "DB",
      databaseId: IDS.d1,
      kvNamespaceId: IDS.kv,
    }}),
    auth: defineAuth("better-auth", {{
      kvId: IDS.kv,
      session: {{
        storage: "kv",
        keyPrefix: "session:",
        expiresInDays: 30,
        updateAge: 60 * 60 * 24,
      }},
    }}),
    storage: defineStorage("kv", {{ namespaceId: IDS.kv }}),
  }},
  handlers: {{
    health: () => new Response("ok"),
{handlers}  }},
  hooks: {{
{hooks}  }},
  routes: [
{routes}  ],
}} satisfies Record<string, unknown>);
"#
    );
    out
}

/// Deepest `(`/`[`/`{` nesting outside strings and comments (roughly; for the log line).
fn max_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

fn run_cli(command: &str, root: &Path, expected: i32) -> Duration {
    time_process(
        Command::new(BIN)
            .arg(command)
            .arg("--root")
            .arg(root)
            .arg("--quiet"),
        expected,
    )
}

fn time_process(command: &mut Command, expected: i32) -> Duration {
    command.env_remove("KV_NAMESPACE_ID");
    let start = Instant::now();
    let output = command.output().expect("run quickback-kv");
    let elapsed = start.elapsed();
    if output.status.code() != Some(expected) {
        panic!(
            "{command:?} exited with {:?}, expected {expected}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    elapsed
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    let value = f();
    let elapsed = start.elapsed();
    drop(std::hint::black_box(value));
    elapsed
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `root` with its contents, to prove a run wrote nothing.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn rustc_note() -> String {
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "rustc unknown".to_string())
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 6]>,
}

impl Table {
    fn row(
        &mut self,
        what: &str,
        input: &str,
        median: Duration,
        mib: Option<f64>,
        vs_swc: Option<f64>,
        runs: usize,
    ) {
        let t = ms(median);
        self.rows.push([
            what.to_string(),
            input.to_string(),
            format!("{t:.2}"),
            mib.map_or("-".to_string(), |m| format!("{:.2}", t / m)),
            vs_swc.map_or("-".to_string(), |r| format!("{r:.2}x")),
            runs.to_string(),
        ]);
    }

    fn render(&self) -> String {
        let mut out = String::from(
            "| Measurement | Input | Median ms | ms per MiB | vs swc parse | Runs |\n|---|---|---:|---:|---:|---:|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r[0], r[1], r[2], r[3], r[4], r[5]
            );
        }
        out
    }
}

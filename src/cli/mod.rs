//! The command line: argument parsing and dispatch. The only code that reads
//! the environment, touches files, knows about terminals and picks exit codes.

mod debris;
mod paths;
mod report;
mod signals;
mod watch;
pub mod write;

use crate::project;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::compile::{self, Action};
use crate::diagnostics::{Cause, Code, Severity};

#[derive(Debug, Parser)]
#[command(
    name = "quickback-kv",
    version,
    about = "Compiles the Workers KV part of a Quickback config into wrangler config, Env types and a Better Auth session adapter"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile and write the outputs; print what changed and where each id came from
    Build(BuildArgs),
    /// Compile and write nothing; exit 1 if an output is stale (with a diff) or the config has errors
    Check(CommonArgs),
    /// Explain a diagnostic code, or list them all
    Explain {
        /// A code such as `kv::invalid-namespace-id`
        code: Option<String>,
    },
    /// Run the language server on stdin/stdout, for editors
    Lsp {
        /// Accepted because some clients pass it; stdio is the only transport
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Keep running: build again whenever a file a build reads changes (config, wrangler file, env types, adapter, auth module); Ctrl-C stops, exit 0
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Project root; outputs are written relative to it [default: current directory]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Config file [default: quickback/quickback.config.ts, else quickback.config.ts, under the root]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where to write the Env types, relative to the root
    #[arg(long, value_name = "PATH", default_value = project::DEFAULT_ENV_TYPES)]
    pub env_types: String,
    /// Where to write the session storage adapter, relative to the root
    #[arg(long, value_name = "PATH", default_value = project::DEFAULT_SESSION_ADAPTER)]
    pub session_adapter: String,
    /// Where to write the typed cache module (bindings with `cache`), relative to the root
    #[arg(long, value_name = "PATH", default_value = project::DEFAULT_CACHE_MODULE)]
    pub cache_module: String,
    /// Where to write the in-memory KV (with any cache, or `memoryKv: true`), relative to the root
    #[arg(long, value_name = "PATH", default_value = project::DEFAULT_MEMORY_KV)]
    pub memory_kv: String,
    /// The app's module that calls `betterAuth`, which `build` wires KV sessions into, relative to the root
    #[arg(long, value_name = "PATH", default_value = DEFAULT_AUTH_MODULE)]
    pub auth_module: String,
    /// How to print diagnostics and results
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Treat warnings as errors (nothing is written, exit code 1)
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print only diagnostics, not the summary
    #[arg(long, short)]
    pub quiet: bool,
    /// Let --env-types, --session-adapter and --auth-module (and dangling symbolic links at output paths) lead outside the root
    #[arg(long)]
    pub allow_outside_root: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
    Github,
}

/// Where Quickback writes the app's Better Auth setup.
pub use crate::project::DEFAULT_AUTH_MODULE;

pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_OK
            });
        }
    };
    signals::ignore_file_size_signal();
    let common = match &cli.command {
        Command::Build(args) => Some(("build", &args.common)),
        Command::Check(args) => Some(("check", args)),
        _ => None,
    };
    if let Some((name, Err(message))) = common.map(|(name, args)| (name, paths::check(args))) {
        let mut command = Cli::command();
        let command = command
            .find_subcommand_mut(name)
            .cloned()
            .unwrap_or(command);
        let _ = command
            .bin_name(format!("quickback-kv {name}"))
            .error(clap::error::ErrorKind::ValueValidation, message)
            .print();
        return ExitCode::from(EXIT_FAILURE);
    }
    if let Command::Build(args) = &cli.command
        && !args.watch
    {
        signals::defer_during_writes();
    }
    ExitCode::from(match cli.command {
        Command::Build(args) if args.watch => watch::run(&args.common),
        Command::Build(args) => run(&args.common, Mode::Build),
        Command::Check(args) => run(&args, Mode::Check),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Lsp { .. } => crate::lsp::run(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Build,
    Check,
}

fn explain(code: Option<&str>) -> u8 {
    let mut out = std::io::stdout().lock();
    match code.map(|c| (c, Code::from_name(c))) {
        Some((_, Some(code))) => {
            let _ = writeln!(
                out,
                "{} ({})\n\n{}",
                code.as_str(),
                code.severity().as_str(),
                code.full_explanation()
            );
            EXIT_OK
        }
        Some((name, None)) => {
            eprintln!("error: unknown diagnostic code `{name}`; `quickback-kv explain` lists them");
            EXIT_PROBLEMS
        }
        None => {
            for code in Code::ALL {
                let summary = code.explanation().lines().next().unwrap_or("");
                let _ = writeln!(
                    out,
                    "{:<34} {:<8} {summary}",
                    code.as_str(),
                    code.severity().as_str()
                );
            }
            EXIT_OK
        }
    }
}

fn run(args: &CommonArgs, mode: Mode) -> u8 {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut reporter = report::Reporter::new(args.message_format, args.quiet);
    // Held until the run ends: builds one at a time, checks never during a build.
    let lock_kind = match mode {
        Mode::Build => write::LockKind::Exclusive,
        Mode::Check => write::LockKind::Shared,
    };
    let _lock = match write::lock(&root, lock_kind) {
        Ok(lock) => lock,
        Err(e) => {
            reporter.note(&format!(
                "error: cannot lock the project {}: {e}",
                root.display()
            ));
            reporter.finish(&compile::Compilation::default(), &[]);
            return EXIT_FAILURE;
        }
    };
    let paths = project::ProjectPaths {
        root: &root,
        config: args.config.as_deref(),
        env_types: &args.env_types,
        session_adapter: &args.session_adapter,
        cache_module: &args.cache_module,
        memory_kv: &args.memory_kv,
        auth_module: &args.auth_module,
    };
    let (inputs, config_display) = project::read_inputs(&paths, project::process_env());
    // Each output's current bytes, as read once for the compile.
    let current = project::current_outputs(&inputs);
    if mode == Mode::Build {
        let outputs: Vec<PathBuf> = current.keys().map(|p| root.join(p)).collect();
        write::remove_debris(&outputs, &root);
    }
    let command = project::regenerate_command(
        &paths,
        args.config.is_some().then_some(config_display.as_str()),
    );
    let options = compile::Options {
        env_types_path: args.env_types.clone(),
        session_adapter_path: args.session_adapter.clone(),
        cache_module_path: args.cache_module.clone(),
        memory_kv_path: args.memory_kv.clone(),
        auth_module_path: args.auth_module.clone(),
        command: command.clone(),
    };
    let compilation = match compile::compile_on_large_stack(inputs, options) {
        Ok(c) => c,
        Err(_) => {
            eprintln!("error: quickback-kv failed internally (this is a bug); no file was written");
            return EXIT_FAILURE;
        }
    };
    reporter.diagnostics(&compilation);

    let errors = compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error);
    let io_failure = errors.clone().any(|d| d.code.cause() == Cause::Tool);
    let denied_warnings = args.deny_warnings
        && compilation
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning);
    if compilation.has_errors() || denied_warnings {
        if denied_warnings && !compilation.has_errors() {
            reporter.note("warnings are denied (--deny-warnings); nothing was written");
        }
        reporter.finish(&compilation, &[]);
        return if io_failure {
            EXIT_FAILURE
        } else {
            EXIT_PROBLEMS
        };
    }

    let mut results = Vec::new();
    let mut changes = Vec::new();
    for output in &compilation.outputs {
        let old = match current.get(&output.path) {
            Some(old) => old.as_deref(),
            None => {
                reporter.note(&format!(
                    "error: {} was not read before the compile (this is a bug); no file was written",
                    output.path
                ));
                reporter.finish(&compilation, &[]);
                return EXIT_FAILURE;
            }
        };
        let status = match (&output.action, old) {
            (Action::Write(text), Some(old)) if old == text.as_bytes() => report::Status::Unchanged,
            (Action::Delete, None) => continue,
            (Action::Write(_), None) if mode == Mode::Check => report::Status::Stale {
                diff: report::missing(&output.path, &command),
            },
            (action, _) if mode == Mode::Check => report::Status::Stale {
                diff: report::diff(&output.path, old.map(project::text).as_deref(), action),
            },
            (Action::Write(text), old) => {
                changes.push((
                    root.join(&output.path),
                    write::Change::Write(text.as_bytes()),
                    old,
                ));
                if old.is_some() {
                    report::Status::Updated
                } else {
                    report::Status::Created
                }
            }
            (Action::Delete, old) => {
                changes.push((root.join(&output.path), write::Change::Delete, old));
                report::Status::Deleted
            }
        };
        results.push((output.path.clone(), status));
    }
    let confine = write::Confine {
        root: &root,
        allow_outside_root: args.allow_outside_root,
    };
    // A signal during the writes stops them; they are undone, then the run dies of it.
    signals::writing(true);
    let applied = write::apply(&changes, &confine);
    if let Err(failure) = applied {
        let shown = failure
            .path
            .strip_prefix(&root)
            .unwrap_or(&failure.path)
            .display()
            .to_string();
        reporter.note(&format!(
            "error: cannot write {shown}: {}; no file was changed",
            failure.error
        ));
        reporter.finish(&compilation, &[]);
        signals::writing(false);
        return EXIT_FAILURE;
    }
    signals::writing(false);
    reporter.finish(&compilation, &results);
    if results
        .iter()
        .any(|(_, s)| matches!(s, report::Status::Stale { .. }))
    {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

//! The pure core: inputs (file contents, environment) → outputs and diagnostics.
//! No I/O happens here; the CLI and the language server read and write files.

use std::collections::BTreeMap;

use crate::diagnostics::{self, Code, Diagnostic};
use crate::emit::auth_module::{self, SessionMode, Wiring};
use crate::emit::session_period::{self, Period};
use crate::emit::{self, Header, env_types, env_types_edit, session_adapter};
use crate::eval::Evaluator;
use crate::model::KvModel;
use crate::plan::plan;
use crate::resolve::{ResolveOptions, resolve};
use crate::span::{FileId, Files, Span};
use crate::wrangler::{self, Desired, Existing, ExistingScope, Facts, Format};
use crate::{adopt, better_auth_version, syntax, validate};

/// Configs larger than this are refused.
pub const MAX_CONFIG_BYTES: usize = 10 * 1024 * 1024;
/// Used for a new wrangler.toml when the config sets no `compatibilityDate`.
pub const DEFAULT_COMPATIBILITY_DATE: &str = "2026-07-01";
/// Used for a new wrangler.toml when the config sets no `name`.
pub const DEFAULT_WORKER_NAME: &str = "quickback-app";
/// The wrangler config names, in the order wrangler looks for them.
pub const WRANGLER_FILES: [&str; 3] = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/// What the caller found at a path.
#[derive(Debug, Clone)]
pub enum Contents {
    Missing,
    /// Exists but could not be read; the text is the I/O error.
    Unreadable(String),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct FileInput {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    pub contents: Contents,
}

#[derive(Debug, Clone)]
pub struct Inputs {
    pub config: FileInput,
    /// Whatever exists of [`WRANGLER_FILES`], in that order.
    pub wrangler: Vec<FileInput>,
    /// Current contents at the output paths, to refuse clobbering files the compiler did not write.
    pub existing_outputs: Vec<FileInput>,
    /// The app's auth module (`Options::auth_module_path`), which `build` wires KV sessions into.
    pub auth_module: FileInput,
    pub env: BTreeMap<String, String>,
    /// The files that say which Better Auth the app has (`better_auth_version`'s
    /// paths), those that exist; `bun.lockb` with no bytes (it is binary).
    pub packages: Vec<FileInput>,
    /// Seconds since the Unix epoch as the CLI or language server read the clock;
    /// `SOURCE_DATE_EPOCH` in `env` wins. Only a new session key period uses it.
    pub clock: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub env_types_path: String,
    pub session_adapter_path: String,
    /// The app's module that calls `betterAuth` (SPEC §3.4), default `src/lib/auth.ts`.
    pub auth_module_path: String,
    /// The command written into generated headers.
    pub command: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Write(String),
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub path: String,
    pub action: Action,
}

#[derive(Debug, Default)]
pub struct Compilation {
    pub files: Files,
    /// Sorted: errors first, then by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Empty whenever a diagnostic is an error.
    pub outputs: Vec<Output>,
    pub model: KvModel,
    /// The `kv_namespaces` entries per scope of the wrangler config.
    pub desired: Desired,
    pub config_file: Option<FileId>,
    /// What happened to the auth module.
    pub wiring: Wiring,
    /// Which Better Auth the app has, when Better Auth is the auth provider.
    pub better_auth: better_auth_version::Lookup,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

pub fn compile(inputs: &Inputs, options: &Options) -> Compilation {
    let mut c = Compilation::default();
    let outputs = run(inputs, options, &mut c);
    refuse_oversized(&outputs, &mut c);
    diagnostics::sort(&mut c.diagnostics);
    if !c.has_errors() {
        c.outputs = outputs;
    }
    c
}

/// [`compile`] with a stack large enough for the input: on the calling thread
/// when the pre-scan finds the config shallow (it then needs at most
/// `syntax::SMALL_STACK_BYTES`), else on a new thread with `syntax::STACK_BYTES`.
/// A panic is returned as an error either way.
pub fn compile_on_large_stack(
    inputs: Inputs,
    options: Options,
) -> std::thread::Result<Compilation> {
    // Every TypeScript file the compile parses: the config, the env types file
    // (edited in place when someone else wrote it) and the auth module.
    let deep = std::iter::once(&inputs.config)
        .chain(&inputs.existing_outputs)
        .chain(std::iter::once(&inputs.auth_module))
        .any(|input| match &input.contents {
            Contents::Bytes(bytes) => std::str::from_utf8(bytes)
                .is_ok_and(|text| syntax::needs_large_stack(&input.path, text)),
            Contents::Missing | Contents::Unreadable(_) => false,
        });
    if !deep {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile(&inputs, &options)
        }));
    }
    std::thread::Builder::new()
        .name("quickback-kv-compile".into())
        .stack_size(syntax::STACK_BYTES)
        .spawn(move || compile(&inputs, &options))
        .map_err(|e| Box::new(e.to_string()) as Box<dyn std::any::Any + Send>)?
        .join()
}

/// `output::too-large` for an output the next run could not read back.
fn refuse_oversized(outputs: &[Output], c: &mut Compilation) {
    for output in outputs {
        let Action::Write(text) = &output.action else {
            continue;
        };
        if text.len() <= MAX_CONFIG_BYTES {
            continue;
        }
        let file = c.files.add(output.path.clone(), "");
        c.diagnostics.push(
            Diagnostic::new(
                Code::OutputTooLarge,
                format!("{} would be larger than 10 MiB", output.path),
                Span::file_start(file),
                format!("{} bytes, more than quickback-kv reads back", text.len()),
            )
            .with_help("make the file smaller; nothing was written"),
        );
    }
}

fn run(inputs: &Inputs, options: &Options, c: &mut Compilation) -> Vec<Output> {
    let Some(config_file) = read_config(&inputs.config, c) else {
        return Vec::new();
    };
    c.config_file = Some(config_file);
    let file_span = Span::file_start(config_file);

    let found = find_wrangler(&inputs.wrangler);

    let module = match syntax::parse(config_file, &inputs.config.path, c.files.text(config_file)) {
        Ok(module) => module,
        Err(errors) => {
            c.diagnostics.extend(errors);
            // The wrangler file is still checked, so all its problems show at once.
            read_wrangler(found, c);
            return Vec::new();
        }
    };
    let evaluator = Evaluator::new(&module, &inputs.env);
    let (mut model, diagnostics) = resolve(
        &evaluator,
        file_span,
        ResolveOptions {
            scaffold: found.is_none(),
        },
    );
    c.diagnostics.extend(diagnostics);

    // The wrangler file: who owns which entry, then its ids as the last source.
    let managed: Vec<String> = model
        .bindings
        .iter()
        .map(|b| b.name.value.clone())
        .collect();
    let wrangler = read_wrangler(found, c);
    let existing = match &wrangler {
        Wrangler::Toml { facts, .. } | Wrangler::Json { facts, .. } => {
            let format = wrangler.format();
            let (existing, diagnostics) = wrangler::ownership(facts.clone(), format, &managed);
            c.diagnostics.extend(diagnostics);
            c.diagnostics
                .extend(adopt::adopt(&mut model, &existing, format.file_name()));
            existing
        }
        Wrangler::Missing | Wrangler::Failed => Existing::default(),
    };
    c.diagnostics.extend(validate::validate(&model));
    let (desired, diagnostics) = plan(&model, &existing);
    c.diagnostics.extend(diagnostics);

    let header = Header::new(&inputs.config.path, &options.command);
    let mut outputs = Vec::new();
    match &wrangler {
        Wrangler::Toml { path, parsed, .. } => {
            let edits = wrangler::reconcile(&existing, &desired);
            outputs.push(Output {
                path: path.clone(),
                action: Action::Write(wrangler::toml::edit(parsed, &edits)),
            });
        }
        Wrangler::Json { path, parsed, .. } => {
            let edits = wrangler::reconcile(&existing, &desired);
            outputs.push(Output {
                path: path.clone(),
                action: Action::Write(wrangler::json::edit(parsed, &edits)),
            });
        }
        Wrangler::Missing if model.in_use() => {
            let name = model
                .worker_name
                .as_ref()
                .map_or(DEFAULT_WORKER_NAME, |n| n.value.as_str());
            let date = model
                .compatibility_date
                .as_ref()
                .map_or(DEFAULT_COMPATIBILITY_DATE, |d| d.value.as_str());
            let header_comment = format!(
                "# Created by quickback-kv from {}. Everything but the entries marked\n# \"Managed by quickback-kv\" is yours to edit.\n",
                inputs.config.path.replace('\n', " ")
            );
            let scaffold = wrangler::toml::Scaffold {
                header: &header_comment,
                name,
                compatibility_date: date,
            };
            // A new file has an empty top level and nothing else.
            let empty = Existing {
                format: Some(Format::Toml),
                scopes: vec![ExistingScope {
                    environment: None,
                    entries: Vec::new(),
                }],
                ..Existing::default()
            };
            let edits = wrangler::reconcile(&empty, &desired);
            outputs.push(Output {
                path: WRANGLER_FILES[2].to_string(),
                action: Action::Write(wrangler::toml::scaffold(&scaffold, &edits)),
            });
        }
        Wrangler::Missing | Wrangler::Failed => {}
    }

    if model.better_auth && model.in_use() {
        find_better_auth(inputs, &model, c);
    }

    // What the Env types say, generated or edited into a foreign file (nothing when KV is unused).
    let env_wanted = if model.in_use() {
        env_types::wanted(&model, &existing, &desired)
    } else {
        env_types::Wanted::default()
    };
    let generated = [
        (
            &options.env_types_path,
            if model.in_use() {
                Some(env_types::render(&env_wanted, &header))
            } else {
                None
            },
        ),
        (
            &options.session_adapter_path,
            if model.better_auth {
                session_adapter::render(
                    &model,
                    &header,
                    session_period(inputs, options, &model),
                    &c.better_auth,
                )
                .transpose()
            } else {
                None
            },
        ),
    ];
    for (path, rendered) in generated {
        let existing = inputs.existing_outputs.iter().find(|f| &f.path == path);
        let action = match rendered {
            Some(Ok(text)) => Action::Write(text),
            Some(Err(e)) => {
                // Templates only print validated values; a failure is a bug, reported at the config.
                c.diagnostics.push(Diagnostic::new(
                    Code::InternalError,
                    format!("could not render {path}: {e}"),
                    file_span,
                    "while compiling this config",
                ));
                continue;
            }
            None => Action::Delete,
        };
        match existing.map(|f| &f.contents) {
            Some(Contents::Bytes(bytes)) => {
                let text = String::from_utf8_lossy(bytes);
                if !emit::is_generated(&text) {
                    let file = c.files.add(path.clone(), text.into_owned());
                    if path == &options.env_types_path {
                        // Someone else's env types (Quickback's): edit its bindings interface.
                        let text = c.files.text(file);
                        match env_types_edit::edit(file, path, bytes, text, &env_wanted, &header) {
                            env_types_edit::Foreign::Edited(text) => {
                                outputs.push(Output {
                                    path: path.clone(),
                                    action: Action::Write(text),
                                });
                                continue;
                            }
                            // Nothing to write (KV not in use): a file it cannot read is no error.
                            env_types_edit::Foreign::Invalid(_) if action == Action::Delete => {
                                continue;
                            }
                            env_types_edit::Foreign::Invalid(diagnostics) => {
                                c.diagnostics.extend(diagnostics);
                                continue;
                            }
                            env_types_edit::Foreign::NoInterface => {}
                        }
                    }
                    if action == Action::Delete {
                        // Someone else's file where nothing is wanted: left alone, silently.
                        continue;
                    }
                    c.diagnostics.push(
                        Diagnostic::new(
                            Code::OutputNotGenerated,
                            format!("{path} exists and was not generated by quickback-kv"),
                            Span::file_start(file),
                            "this file has no quickback-kv header, so it is left alone",
                        )
                        .with_help("move the file away, or choose another path with --env-types / --session-adapter"),
                    );
                    continue;
                }
                outputs.push(Output {
                    path: path.clone(),
                    action,
                });
            }
            Some(Contents::Unreadable(error)) => {
                let file = c.files.add(path.clone(), "");
                c.diagnostics.push(Diagnostic::new(
                    Code::OutputUnreadable,
                    format!("cannot read {path}: {error}"),
                    Span::file_start(file),
                    "unreadable",
                ));
            }
            Some(Contents::Missing) | None => {
                if let Action::Write(_) = action {
                    outputs.push(Output {
                        path: path.clone(),
                        action,
                    });
                }
            }
        }
    }
    wire_auth_module(inputs, options, &model, &mut outputs, c);
    keep_imported_adapter(inputs, options, &mut outputs);
    c.model = model;
    c.desired = desired;
    outputs
}

/// The adapter is never deleted while the auth module (as this build leaves it)
/// still imports it, e.g. when its wiring could not be removed (issue 17.1): the
/// app would no longer build.
fn keep_imported_adapter(inputs: &Inputs, options: &Options, outputs: &mut Vec<Output>) {
    let deletes = |o: &Output| o.path == options.session_adapter_path && o.action == Action::Delete;
    if !outputs.iter().any(deletes) {
        return;
    }
    let module: std::borrow::Cow<str> = match outputs
        .iter()
        .find(|o| o.path == options.auth_module_path)
        .map(|o| &o.action)
    {
        Some(Action::Write(text)) => text.into(),
        Some(Action::Delete) => return,
        None => match &inputs.auth_module.contents {
            Contents::Bytes(bytes) => String::from_utf8_lossy(bytes),
            _ => return,
        },
    };
    let specifier =
        auth_module::import_specifier(&options.auth_module_path, &options.session_adapter_path);
    let imported = ['"', '\'']
        .iter()
        .any(|q| module.contains(&format!("{q}{specifier}{q}")));
    if imported {
        outputs.retain(|o| !deletes(o));
    }
}

/// The session key period the adapter records (`emit::session_period`), from the
/// existing adapter's record and the time (`SOURCE_DATE_EPOCH` first).
fn session_period(inputs: &Inputs, options: &Options, model: &KvModel) -> Period {
    let adapter = inputs
        .existing_outputs
        .iter()
        .find(|f| f.path == options.session_adapter_path)
        .and_then(|f| match &f.contents {
            Contents::Bytes(bytes) => Some(String::from_utf8_lossy(bytes)),
            _ => None,
        })
        .filter(|text| emit::is_generated(text));
    let previous = adapter.as_deref().and_then(session_period::read);
    let wired = match &inputs.auth_module.contents {
        Contents::Bytes(bytes) => {
            let marker = auth_module::MARKER.as_bytes();
            bytes.windows(marker.len()).any(|w| w == marker)
        }
        _ => false,
    };
    session_period::decide(
        previous,
        adapter.is_some() && wired,
        model.kv_sessions(),
        session_period::now(&inputs.env, inputs.clock),
    )
}

/// Wires KV sessions into the app's auth module, or removes the wiring when
/// they are off (SPEC §3.4). Its problems are warnings: the module is the app's
/// own source, possibly mid-edit, and never blocks the other outputs.
fn wire_auth_module(
    inputs: &Inputs,
    options: &Options,
    model: &KvModel,
    outputs: &mut Vec<Output>,
    c: &mut Compilation,
) {
    let path = options.auth_module_path.as_str();
    let kv_sessions = model.kv_sessions();
    let bytes = match &inputs.auth_module.contents {
        Contents::Bytes(bytes) => bytes,
        Contents::Missing if kv_sessions => {
            c.wiring = Wiring::NoModule {
                path: path.to_string(),
            };
            return;
        }
        Contents::Unreadable(error) if kv_sessions => {
            let file = c.files.add(path, "");
            c.diagnostics.push(Diagnostic::new(
                Code::OutputUnreadable,
                format!("cannot read {path}: {error}"),
                Span::file_start(file),
                "unreadable",
            ));
            return;
        }
        Contents::Missing | Contents::Unreadable(_) => return,
    };
    let marker = auth_module::MARKER.as_bytes();
    if !kv_sessions && !bytes.windows(marker.len()).any(|w| w == marker) {
        return;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if bytes.len() <= MAX_CONFIG_BYTES => text,
        problem => {
            let (at, label) = match problem {
                Err(e) => (e.valid_up_to() as u32, "invalid UTF-8 here"),
                Ok(_) => (0, "larger than 10 MiB"),
            };
            let file = c
                .files
                .add(path, String::from_utf8_lossy(bytes).into_owned());
            c.diagnostics.push(
                Diagnostic::new(
                    Code::AuthInvalidModule,
                    format!("{path} cannot be read as TypeScript; sessions are not wired into it"),
                    Span::new(file, at, at),
                    label,
                )
                .with_help("re-save the file as UTF-8 source and build again"),
            );
            c.wiring = Wiring::NotWired {
                path: path.to_string(),
                at: Span::new(file, at, at),
            };
            return;
        }
    };
    let file = c.files.add(path, text);
    let outcome = auth_module::wire(
        file,
        c.files.text(file),
        &auth_module::Settings {
            module_path: path,
            adapter_path: &options.session_adapter_path,
            kv_sessions,
            kv_only: model.kv_only_sessions(),
        },
    );
    c.diagnostics.extend(outcome.diagnostic);
    c.diagnostics.extend(outcome.notes);
    if outcome.text.is_some() {
        c.diagnostics
            .extend(signs_users_out(outcome.previous, model, &outcome.wiring));
    }
    c.wiring = outcome.wiring;
    if let Some(text) = outcome.text {
        outputs.push(Output {
            path: path.to_string(),
            action: Action::Write(text),
        });
    }
}

/// Which Better Auth the app has (`better_auth_version`), a warning for each lockfile
/// that does not parse, and, with KV sessions on, the known defects of that version.
fn find_better_auth(inputs: &Inputs, model: &KvModel, c: &mut Compilation) {
    let texts: Vec<(&str, std::borrow::Cow<str>)> = inputs
        .packages
        .iter()
        .filter_map(|f| match &f.contents {
            Contents::Bytes(b) if b.len() <= MAX_CONFIG_BYTES => {
                Some((f.path.as_str(), String::from_utf8_lossy(b)))
            }
            _ => None,
        })
        .collect();
    let files: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (*p, t.as_ref())).collect();
    let lookup = better_auth_version::find(&files);
    let text_of = |path: &str| {
        files
            .iter()
            .find(|(p, _)| *p == path)
            .map_or("", |(_, t)| *t)
    };
    for bad in &lookup.unparsable {
        let file = c.files.add(bad.path.clone(), text_of(&bad.path));
        let at = bad.at as u32;
        c.diagnostics.push(
            Diagnostic::new(
                Code::ProjectInvalidLockfile,
                format!("{} does not parse; the Better Auth version is not read from it", bad.path),
                Span::new(file, at, at),
                bad.message.clone(),
            )
            .with_help(format!(
                "resolve the file (a merge conflict?) or reinstall so the package manager rewrites {}",
                bad.path
            )),
        );
    }
    if let Some(found) = &lookup.found
        && !found.range
        && model.kv_sessions()
        && let Some(version) = better_auth_version::parse(&found.version)
    {
        let file = c.files.add(found.source.clone(), text_of(&found.source));
        let at = Span::new(file, found.at.0 as u32, found.at.1 as u32);
        let defects = [
            (
                (1, 7, 8),
                Code::AuthBetterAuthListsKvOnly,
                "`list-sessions` and `revoke-other-sessions` miss the sessions made before KV",
            ),
            (
                (1, 7, 16),
                Code::AuthBetterAuthRevokeRace,
                "concurrent sign-ins of one user can escape `revoke-sessions` with KV sessions",
            ),
        ];
        for (fixed, code, what) in defects {
            if version < fixed {
                let fixed = format!("{}.{}.{}", fixed.0, fixed.1, fixed.2);
                c.diagnostics.push(
                    Diagnostic::new(
                        code,
                        format!("Better Auth {}: {what}", found.version),
                        at,
                        format!("fixed in Better Auth {fixed}"),
                    )
                    .with_help(format!("upgrade better-auth to {fixed} or later")),
                );
            }
        }
    }
    c.better_auth = lookup;
}

/// `auth::signs-users-out` when this build's wiring change moves sessions into or
/// out of KV-only storage (SPEC §3.4.1): either way some users lose their session.
fn signs_users_out(previous: SessionMode, model: &KvModel, wiring: &Wiring) -> Option<Diagnostic> {
    let (Wiring::Wired { at, .. } | Wiring::Removed { at, .. }) = wiring else {
        return None;
    };
    let kv_only = model.session.as_ref().and_then(|s| s.kv_only);
    let (message, label, help) = match (previous, model.kv_sessions(), kv_only) {
        (SessionMode::Database | SessionMode::Cached, true, Some(_)) => (
            "this build signs out users whose sessions are only in the database",
            "KV-only sessions: Better Auth no longer reads sessions from the database",
            "sessions made before this build (and any KV does not hold) answer as signed out; remove `kvOnly: true` to keep KV a cache in front of the database",
        ),
        (SessionMode::KvOnly, false, _) => (
            "this build signs out everyone who signed in while sessions were KV-only",
            "KV sessions are turned off, and KV-only sessions have no database row",
            "keep KV sessions on (drop `kvOnly` first) until the sessions made while they were KV-only have expired (`expiresIn`)",
        ),
        _ => return None,
    };
    Some(Diagnostic::new(Code::AuthSignsUsersOut, message, *at, label).with_help(help))
}

/// The config as text, or `None` after reporting why it cannot be compiled.
fn read_config(input: &FileInput, c: &mut Compilation) -> Option<FileId> {
    let bytes = match &input.contents {
        Contents::Bytes(bytes) => bytes,
        Contents::Missing => {
            let file = c.files.add(input.path.clone(), "");
            c.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigNotFound,
                    format!("no config at {}", input.path),
                    Span::file_start(file),
                    "this file does not exist",
                )
                .with_help("run in the project root, or pass --root DIR or --config PATH"),
            );
            return None;
        }
        Contents::Unreadable(error) => {
            let file = c.files.add(input.path.clone(), "");
            c.diagnostics.push(Diagnostic::new(
                Code::ConfigUnreadable,
                format!("cannot read {}: {error}", input.path),
                Span::file_start(file),
                "unreadable",
            ));
            return None;
        }
    };
    text_or_diagnostic(&input.path, bytes, Code::ConfigNotUtf8, c)
}

/// Decodes UTF-8, refusing oversized files; both problems point into the file.
fn text_or_diagnostic(
    path: &str,
    bytes: &[u8],
    not_utf8: Code,
    c: &mut Compilation,
) -> Option<FileId> {
    if bytes.len() > MAX_CONFIG_BYTES {
        let file = c.files.add(path, "");
        c.diagnostics.push(
            Diagnostic::new(
                Code::ConfigTooLarge,
                format!("{path} is larger than 10 MiB"),
                Span::file_start(file),
                "this file is too large",
            )
            .with_help("a Quickback config is a few kilobytes; check that the right file is used"),
        );
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(c.files.add(path, text)),
        Err(e) => {
            let at = e.valid_up_to() as u32;
            let file = c
                .files
                .add(path, String::from_utf8_lossy(bytes).into_owned());
            // The stored text shows the bad bytes as one U+FFFD (3 bytes); the label covers it.
            let width = '\u{fffd}'.len_utf8() as u32;
            c.diagnostics.push(
                Diagnostic::new(
                    not_utf8,
                    format!("{path} is not valid UTF-8"),
                    Span::new(file, at, at + width),
                    "invalid byte sequence here",
                )
                .with_help("re-save the file with UTF-8 encoding"),
            );
            None
        }
    }
}

enum Wrangler {
    Missing,
    /// Reported already; nothing may be written.
    Failed,
    Toml {
        path: String,
        parsed: Box<wrangler::toml::Parsed>,
        facts: Facts,
    },
    Json {
        path: String,
        parsed: Box<wrangler::json::Parsed>,
        facts: Facts,
        strict: bool,
    },
}

impl Wrangler {
    fn format(&self) -> Format {
        match self {
            Wrangler::Json { strict: true, .. } => Format::Json,
            Wrangler::Json { .. } => Format::Jsonc,
            _ => Format::Toml,
        }
    }
}

/// The wrangler file wrangler itself would read: the first of [`WRANGLER_FILES`] that exists.
fn find_wrangler(files: &[FileInput]) -> Option<&FileInput> {
    WRANGLER_FILES.iter().find_map(|name| {
        files
            .iter()
            .find(|f| f.path == *name && !matches!(f.contents, Contents::Missing))
    })
}

fn read_wrangler(found: Option<&FileInput>, c: &mut Compilation) -> Wrangler {
    let Some(found) = found else {
        return Wrangler::Missing;
    };
    let bytes = match &found.contents {
        Contents::Bytes(bytes) => bytes,
        Contents::Unreadable(error) => {
            let file = c.files.add(found.path.clone(), "");
            c.diagnostics.push(Diagnostic::new(
                Code::WranglerUnreadable,
                format!("cannot read {}: {error}", found.path),
                Span::file_start(file),
                "unreadable",
            ));
            return Wrangler::Failed;
        }
        Contents::Missing => return Wrangler::Missing,
    };
    let Some(file) = text_or_diagnostic(&found.path, bytes, Code::WranglerInvalid, c) else {
        return Wrangler::Failed;
    };
    let path = found.path.clone();
    let text = c.files.text(file);
    let parsed = if path.ends_with(".toml") {
        wrangler::toml::parse(file, text).and_then(|parsed| {
            let facts = wrangler::read(&parsed.root(), file, Format::Toml)?;
            Ok(Wrangler::Toml {
                path,
                parsed: Box::new(parsed),
                facts,
            })
        })
    } else {
        let strict = path.ends_with(".json");
        let format = if strict { Format::Json } else { Format::Jsonc };
        wrangler::json::parse(file, text, format).map(|(parsed, facts)| Wrangler::Json {
            path,
            parsed: Box::new(parsed),
            facts,
            strict,
        })
    };
    parsed.unwrap_or_else(|d| {
        c.diagnostics.push(d);
        Wrangler::Failed
    })
}

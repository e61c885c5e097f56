//! The pure core: inputs (file contents, environment) → outputs and diagnostics.
//! No I/O happens here; the CLI and the language server read and write files.

use std::collections::BTreeMap;

use crate::diagnostics::{self, Code, Diagnostic};
use crate::emit::{
    self, Desired, Existing, Header, env_types, session_adapter, wrangler_json, wrangler_toml,
};
use crate::eval::Evaluator;
use crate::model::KvModel;
use crate::plan::plan;
use crate::resolve::{ResolveOptions, resolve};
use crate::span::{FileId, Files, Span};
use crate::{syntax, validate};

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
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub env_types_path: String,
    pub session_adapter_path: String,
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
    let deep = match &inputs.config.contents {
        Contents::Bytes(bytes) => std::str::from_utf8(bytes)
            .is_ok_and(|text| syntax::needs_large_stack(&inputs.config.path, text)),
        Contents::Missing | Contents::Unreadable(_) => false,
    };
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
            read_wrangler(found, &[], c);
            return Vec::new();
        }
    };
    let evaluator = Evaluator::new(&module, &inputs.env);
    let (model, diagnostics) = resolve(
        &evaluator,
        file_span,
        ResolveOptions {
            scaffold: found.is_none(),
        },
    );
    c.diagnostics.extend(diagnostics);
    c.diagnostics.extend(validate::validate(&model));

    let managed: Vec<String> = model
        .bindings
        .iter()
        .map(|b| b.name.value.clone())
        .collect();
    let mut wrangler = read_wrangler(found, &managed, c);
    let existing = wrangler.take_existing();
    let (desired, diagnostics) = plan(&model, &existing);
    c.diagnostics.extend(diagnostics);

    let header = Header::new(&inputs.config.path, &options.command);
    let mut outputs = Vec::new();
    match wrangler {
        Wrangler::Toml { path, parsed } => {
            let text = wrangler_toml::edit(*parsed, &desired);
            outputs.push(Output {
                path,
                action: Action::Write(text),
            });
        }
        Wrangler::Json { path, parsed } => {
            let text = wrangler_json::edit(*parsed, &desired);
            outputs.push(Output {
                path,
                action: Action::Write(text),
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
            let scaffold = wrangler_toml::Scaffold {
                header: &header_comment,
                name,
                compatibility_date: date,
            };
            let path = WRANGLER_FILES[2].to_string();
            outputs.push(Output {
                path,
                action: Action::Write(wrangler_toml::scaffold(&scaffold, &desired)),
            });
        }
        Wrangler::Missing | Wrangler::Failed => {}
    }

    let generated = [
        (
            &options.env_types_path,
            if model.in_use() {
                Some(env_types::render(&model, &existing, &desired, &header))
            } else {
                None
            },
        ),
        (
            &options.session_adapter_path,
            if model.better_auth {
                session_adapter::render(&model, &header).transpose()
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
    c.model = model;
    c.desired = desired;
    outputs
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
        parsed: Box<wrangler_toml::Parsed>,
    },
    Json {
        path: String,
        parsed: Box<wrangler_json::Parsed>,
    },
}

impl Wrangler {
    /// What the file declares, moved out: the edits work from their own parse.
    fn take_existing(&mut self) -> Existing {
        match self {
            Wrangler::Toml { parsed, .. } => std::mem::take(&mut parsed.existing),
            Wrangler::Json { parsed, .. } => std::mem::take(&mut parsed.existing),
            Wrangler::Missing | Wrangler::Failed => Existing::default(),
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

/// `managed`: the bindings the config asks for; a strict `wrangler.json` owns its entries by name.
fn read_wrangler(found: Option<&FileInput>, managed: &[String], c: &mut Compilation) -> Wrangler {
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
    let parsed = if path.ends_with(".toml") {
        wrangler_toml::parse(file, c.files.text(file)).map(|parsed| Wrangler::Toml {
            path,
            parsed: Box::new(parsed),
        })
    } else {
        let strict_json = path.ends_with(".json");
        wrangler_json::parse(file, c.files.text(file), strict_json, managed).map(|parsed| {
            Wrangler::Json {
                path,
                parsed: Box::new(parsed),
            }
        })
    };
    parsed.unwrap_or_else(|d| {
        c.diagnostics.push(d);
        Wrangler::Failed
    })
}

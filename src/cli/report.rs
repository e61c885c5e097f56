//! What the CLI prints: diagnostics in the chosen format, where each value came
//! from, and what happened to each output.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::MessageFormat;
use crate::compile::{Action, Compilation};
use crate::diagnostics::{human, json};
use crate::eval::Via;
use crate::model::Origin;
use crate::span::{Files, LineIndex};

pub enum Status {
    Created,
    Updated,
    Unchanged,
    Deleted,
    Stale { diff: String },
}

impl Status {
    fn as_str(&self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Unchanged => "unchanged",
            Status::Deleted => "deleted",
            Status::Stale { .. } => "stale",
        }
    }
}

pub struct Reporter {
    format: MessageFormat,
    quiet: bool,
    color: bool,
    notes: Vec<String>,
}

impl Reporter {
    pub fn new(format: MessageFormat, quiet: bool) -> Reporter {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Reporter {
            format,
            quiet,
            color: !no_color && std::io::stderr().is_terminal(),
            notes: Vec::new(),
        }
    }

    /// Prints diagnostics now (human and GitHub formats); JSON waits for `finish`.
    pub fn diagnostics(&mut self, c: &Compilation) {
        match self.format {
            MessageFormat::Human => {
                let mut err = std::io::stderr().lock();
                for d in &c.diagnostics {
                    let _ = write!(
                        err,
                        "{}",
                        human::render(
                            d,
                            &c.files,
                            human::HumanOptions {
                                color: self.color,
                                width: 100
                            }
                        )
                    );
                }
            }
            MessageFormat::Github => {
                let mut out = std::io::stdout().lock();
                for d in &c.diagnostics {
                    let _ = write!(out, "{}", json::render_github(d, &c.files));
                }
            }
            MessageFormat::Json => {}
        }
    }

    /// A line about the run itself (an I/O failure, denied warnings).
    pub fn note(&mut self, message: &str) {
        match self.format {
            MessageFormat::Json => self.notes.push(message.to_string()),
            _ => eprintln!("{message}"),
        }
    }

    pub fn finish(&mut self, c: &Compilation, results: &[(String, Status)]) {
        match self.format {
            MessageFormat::Json => {
                let mut ranges = json::Ranges::new(&c.files);
                let doc = JsonReport {
                    version: json::FORMAT_VERSION,
                    diagnostics: c
                        .diagnostics
                        .iter()
                        .map(|d| json::to_json(d, &mut ranges))
                        .collect(),
                    bindings: bindings(c, &mut ranges),
                    outputs: results
                        .iter()
                        .map(|(path, status)| JsonOutput {
                            path: path.clone(),
                            status: status.as_str(),
                            diff: match status {
                                Status::Stale { diff } => Some(diff.clone()),
                                _ => None,
                            },
                        })
                        .collect(),
                    notes: self.notes.clone(),
                };
                let mut out = std::io::stdout().lock();
                let _ = serde_json::to_writer_pretty(&mut out, &doc);
                let _ = writeln!(out);
            }
            MessageFormat::Human | MessageFormat::Github => {
                let mut out = std::io::stdout().lock();
                if !self.quiet && !c.has_errors() {
                    let _ = write!(out, "{}", summary(c));
                }
                for (path, status) in results {
                    if let Status::Stale { diff } = status {
                        let _ = write!(out, "{diff}");
                    }
                    if !self.quiet || matches!(status, Status::Stale { .. }) {
                        let _ = writeln!(out, "{:<9} {path}", status.as_str());
                    }
                }
            }
        }
    }
}

/// Where each resolved value came from, for people.
pub fn summary(c: &Compilation) -> String {
    if !c.model.in_use() {
        return "KV is not used by this config; no KV bindings are written\n".to_string();
    }
    let mut out = String::new();
    for binding in &c.model.bindings {
        out.push_str(&format!("KV binding `{}`", binding.name.value));
        if let Some(origin) = &binding.name.origin {
            out.push_str(&format!(" (from {})", origin.path));
        }
        match &binding.id {
            Some(id) => {
                out.push_str(&format!(" → namespace {}\n", id.value));
                out.push_str(&format!(
                    "  id from {}\n",
                    describe_origin(&c.files, &id.origin)
                ));
                for other in binding.id_sources.iter().skip(1) {
                    out.push_str(&format!(
                        "  also given by {} (same id)\n",
                        other.origin.path
                    ));
                }
            }
            None => out.push_str(" → no namespace id; `wrangler deploy` will create one\n"),
        }
        if let Some(preview) = &binding.preview_id {
            out.push_str(&format!(
                "  preview namespace {} from {}\n",
                preview.value,
                describe_origin(&c.files, &preview.origin)
            ));
        }
        if binding.remote {
            out.push_str("  remote: `wrangler dev` uses the deployed namespace\n");
        }
        for (environment, entries) in &c.desired.environments {
            let Some(entry) = entries.iter().find(|e| e.binding == binding.name.value) else {
                continue;
            };
            let id = entry.id.as_deref().unwrap_or("(none; created on deploy)");
            match binding.environment(environment).and_then(|e| e.id.as_ref()) {
                Some(own) => out.push_str(&format!(
                    "  env {environment} → namespace {id} from {}\n",
                    describe_origin(&c.files, &own.origin)
                )),
                None => out.push_str(&format!(
                    "  env {environment} → namespace {id} (the top-level one)\n"
                )),
            }
        }
    }
    if let Some(session) = &c.model.session {
        out.push_str(&format!(
            "sessions in `{}`: key prefix {:?}, expire after {} s, refreshed after {} s{}\n",
            session.binding.value,
            session.key_prefix.value,
            session.expires_in.value,
            session.update_age.value,
            if session.stored_in_kv {
                ", stored in KV"
            } else {
                ""
            }
        ));
    }
    out
}

fn describe_origin(files: &Files, origin: &Origin) -> String {
    let file = origin.value_span.file;
    let text = files.text(file);
    let position = LineIndex::new(text).position(text, origin.value_span.start);
    let place = format!(
        "{}:{}:{}",
        files.path(file),
        position.line + 1,
        position.char_col + 1
    );
    match &origin.via {
        Via::Literal | Via::WranglerFile => format!("{} ({place})", origin.path),
        Via::EnvVar(name) => format!("{} via environment variable {name} ({place})", origin.path),
        Via::EnvFallback(name) => format!(
            "{} via the fallback for {name}, which is unset or empty ({place})",
            origin.path
        ),
    }
}

/// A unified diff of what `build` would change.
pub fn diff(path: &str, current: Option<&str>, action: &Action) -> String {
    let new = match action {
        Action::Write(text) => text.as_str(),
        Action::Delete => "",
    };
    similar::TextDiff::from_lines(current.unwrap_or(""), new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[derive(Serialize)]
struct JsonReport {
    version: u32,
    diagnostics: Vec<json::JsonDiagnostic>,
    bindings: Vec<JsonBinding>,
    outputs: Vec<JsonOutput>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct JsonOutput {
    path: String,
    status: &'static str,
    diff: Option<String>,
}

#[derive(Serialize)]
struct JsonBinding {
    binding: String,
    namespace_id: Option<String>,
    source: Option<JsonSource>,
    also: Vec<JsonSource>,
    preview_id: Option<String>,
    remote: bool,
    environments: Vec<JsonEnvironment>,
}

#[derive(Serialize)]
struct JsonEnvironment {
    name: String,
    namespace_id: Option<String>,
    preview_id: Option<String>,
    /// `None` when the environment reuses the top-level id.
    source: Option<JsonSource>,
}

#[derive(Serialize)]
struct JsonSource {
    path: String,
    file: String,
    range: json::JsonRange,
    env_var: Option<String>,
    env_fallback: bool,
}

fn bindings(c: &Compilation, ranges: &mut json::Ranges) -> Vec<JsonBinding> {
    let mut source = |origin: &Origin| JsonSource {
        path: origin.path.clone(),
        file: c.files.path(origin.value_span.file).to_string(),
        range: ranges.range(origin.value_span),
        env_var: match &origin.via {
            Via::EnvVar(n) | Via::EnvFallback(n) => Some(n.clone()),
            Via::Literal | Via::WranglerFile => None,
        },
        env_fallback: matches!(origin.via, Via::EnvFallback(_)),
    };
    c.model
        .bindings
        .iter()
        .filter(|_| !c.has_errors())
        .map(|b| JsonBinding {
            binding: b.name.value.clone(),
            namespace_id: b.id.as_ref().map(|id| id.value.clone()),
            source: b.id.as_ref().map(|id| source(&id.origin)),
            also: b
                .id_sources
                .iter()
                .skip(1)
                .map(|s| source(&s.origin))
                .collect(),
            preview_id: b.preview_id.as_ref().map(|p| p.value.clone()),
            remote: b.remote,
            environments: c
                .desired
                .environments
                .iter()
                .filter_map(|(name, entries)| {
                    let entry = entries.iter().find(|e| e.binding == b.name.value)?;
                    Some(JsonEnvironment {
                        name: name.clone(),
                        namespace_id: entry.id.clone(),
                        preview_id: entry.preview_id.clone(),
                        source: b
                            .environment(name)
                            .and_then(|e| e.id.as_ref())
                            .map(|id| source(&id.origin)),
                    })
                })
                .collect(),
        })
        .collect()
}

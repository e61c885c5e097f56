//! What the CLI prints: diagnostics in the chosen format, where each value came
//! from, and what happened to each output.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::MessageFormat;
use crate::compile::{Action, Compilation};
use crate::diagnostics::{human, json};
use crate::eval::Via;
use crate::model::Origin;
use crate::report::{self, Report, Verdict, WiringReport};
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
                let report = report::report(c);
                let mut ranges = json::Ranges::new(&c.files);
                let doc = JsonReport {
                    version: json::FORMAT_VERSION,
                    diagnostics: c
                        .diagnostics
                        .iter()
                        .map(|d| json::to_json(d, &mut ranges))
                        .collect(),
                    bindings: bindings(c, &report, &mut ranges),
                    sessions: sessions(c, &report),
                    wiring: wiring(c, &report, &mut ranges),
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

/// Where each resolved value came from, and the wiring, for people.
pub fn summary(c: &Compilation) -> String {
    let report = report::report(c);
    let mut out = String::new();
    if report.bindings.is_empty() {
        out.push_str("KV is not used by this config; no KV bindings are written\n");
    }
    for binding in &report.bindings {
        out.push_str(&format!("KV binding `{}`", binding.name.value));
        if let Some(origin) = &binding.name.origin {
            out.push_str(&format!(" (from {})", origin.path));
        }
        match (&binding.id, binding.sources.first()) {
            (Some(id), Some(winner)) => {
                out.push_str(&format!(" → namespace {id}\n"));
                out.push_str(&format!(
                    "  id from {}\n",
                    describe_origin(&c.files, &winner.origin)
                ));
                for other in binding
                    .sources
                    .iter()
                    .filter(|s| s.verdict == Verdict::SameId)
                {
                    out.push_str(&format!(
                        "  also given by {} (same id)\n",
                        other.origin.path
                    ));
                }
            }
            _ => out.push_str(" → no namespace id; `wrangler deploy` will create one\n"),
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
        for environment in &binding.environments {
            let id = environment
                .namespace_id
                .as_deref()
                .unwrap_or("(none; created on deploy)");
            let name = &environment.name;
            match &environment.own {
                Some(own) => out.push_str(&format!(
                    "  env {name} → namespace {id} from {}\n",
                    describe_origin(&c.files, own)
                )),
                None => out.push_str(&format!(
                    "  env {name} → namespace {id} (the top-level one)\n"
                )),
            }
        }
    }
    if let Some(session) = &report.sessions {
        out.push_str(&format!(
            "sessions in `{}`: key prefix {:?}, expire after {} s, refreshed after {} s, {}\n",
            session.binding.value,
            session.key_prefix.value,
            session.expires_in.value,
            session.update_age.value,
            match (session.in_kv, session.kv_only) {
                (true, false) => "cached in KV in front of the database",
                (true, true) => "stored in KV only (session.kvOnly)",
                _ => "stored in the database (session.storage)",
            }
        ));
        out.push_str(&format!(
            "Better Auth: {}\n",
            session.better_auth.describe()
        ));
    }
    match &report.wiring {
        WiringReport::Off => {}
        WiringReport::Wired(place) => {
            out.push_str(&format!("sessions wired into `betterAuth` at {place}\n"))
        }
        WiringReport::NotWired(place) => out.push_str(&format!(
            "sessions NOT wired into {}: see the warning at {place}\n",
            place.path
        )),
        WiringReport::NoModule { path } => out.push_str(&format!(
            "sessions not wired: no auth module at {path} (--auth-module PATH names another)\n"
        )),
        WiringReport::Removed { path } => out.push_str(&format!(
            "sessions wiring removed from {path} (KV sessions are off)\n"
        )),
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

/// Changed regions larger than this (in lines, either side) are summarised, not
/// diffed: a line diff costs the product of the two sides in the worst case.
const MAX_DIFF_LINES: usize = 4000;

/// A unified diff of what `build` would change.
pub fn diff(path: &str, current: Option<&str>, action: &Action) -> String {
    let new = match action {
        Action::Write(text) => text.as_str(),
        Action::Delete => "",
    };
    let old = current.unwrap_or("");
    let (removed, added) = changed_region(old, new);
    if removed > MAX_DIFF_LINES || added > MAX_DIFF_LINES {
        return format!(
            "--- a/{path}\n+++ b/{path}\n@@ {removed} lines would be replaced by {added}: too many to show; `quickback-kv build` writes them @@\n"
        );
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// How many lines differ on each side once the common first and last lines are
/// set aside (linear).
fn changed_region(old: &str, new: &str) -> (usize, usize) {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (old.len() - prefix - suffix, new.len() - prefix - suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_changes_are_diffed_and_huge_ones_summarised() {
        let old = "a\nb\nc\n";
        let d = diff("f", Some(old), &Action::Write("a\nB\nc\n".into()));
        assert!(d.contains("-b\n") && d.contains("+B\n"), "{d}");
        let big_old: String = (0..10_000).map(|i| format!("x{i}\n")).collect();
        let big_new: String = (0..10_000).map(|i| format!("y{i}\n")).collect();
        let text = format!("head\n{big_old}tail\n");
        let d = diff(
            "f",
            Some(&text),
            &Action::Write(format!("head\n{big_new}tail\n")),
        );
        assert!(d.contains("10000 lines would be replaced by 10000"), "{d}");
        assert_eq!(changed_region("same\n", "same\n"), (0, 0));
        assert_eq!(changed_region("a\nb\n", "a\n"), (1, 0));
    }
}

#[derive(Serialize)]
struct JsonReport {
    version: u32,
    diagnostics: Vec<json::JsonDiagnostic>,
    bindings: Vec<JsonBinding>,
    sessions: Option<JsonSessions>,
    wiring: Option<JsonWiring>,
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

#[derive(Serialize)]
struct JsonSessions {
    binding: String,
    in_kv: bool,
    kv_only: bool,
    better_auth: JsonBetterAuth,
    key_prefix: String,
    expires_in: u64,
    update_age: u64,
}

/// The Better Auth version found: exact, or the dependency range (`range: true`),
/// or `version: null` when no file says.
#[derive(Serialize)]
struct JsonBetterAuth {
    version: Option<String>,
    range: bool,
    source: Option<String>,
}

#[derive(Serialize)]
struct JsonWiring {
    /// `wired`, `not-wired`, `no-module`, `removed` or `off`.
    status: &'static str,
    file: Option<String>,
    /// The `betterAuth` callee (`wired`) or the warning's place (`not-wired`).
    range: Option<json::JsonRange>,
}

fn source(c: &Compilation, origin: &Origin, ranges: &mut json::Ranges) -> JsonSource {
    JsonSource {
        path: origin.path.clone(),
        file: c.files.path(origin.value_span.file).to_string(),
        range: ranges.range(origin.value_span),
        env_var: match &origin.via {
            Via::EnvVar(n) | Via::EnvFallback(n) => Some(n.clone()),
            Via::Literal | Via::WranglerFile => None,
        },
        env_fallback: matches!(origin.via, Via::EnvFallback(_)),
    }
}

fn bindings(c: &Compilation, report: &Report, ranges: &mut json::Ranges) -> Vec<JsonBinding> {
    if c.has_errors() {
        return Vec::new();
    }
    report
        .bindings
        .iter()
        .map(|b| JsonBinding {
            binding: b.name.value.clone(),
            namespace_id: b.id.clone(),
            source: b.sources.first().map(|s| source(c, &s.origin, ranges)),
            also: b
                .sources
                .iter()
                .skip(1)
                .map(|s| source(c, &s.origin, ranges))
                .collect(),
            preview_id: b.preview_id.as_ref().map(|p| p.value.clone()),
            remote: b.remote,
            environments: b
                .environments
                .iter()
                .map(|e| JsonEnvironment {
                    name: e.name.clone(),
                    namespace_id: e.namespace_id.clone(),
                    preview_id: e.preview_id.clone(),
                    source: e.own.as_ref().map(|o| source(c, o, ranges)),
                })
                .collect(),
        })
        .collect()
}

fn sessions(c: &Compilation, report: &Report) -> Option<JsonSessions> {
    let s = report.sessions.as_ref().filter(|_| !c.has_errors())?;
    Some(JsonSessions {
        binding: s.binding.value.clone(),
        in_kv: s.in_kv,
        kv_only: s.kv_only,
        better_auth: JsonBetterAuth {
            version: s.better_auth.version.clone(),
            range: s.better_auth.range,
            source: s.better_auth.source.clone(),
        },
        key_prefix: s.key_prefix.value.clone(),
        expires_in: s.expires_in.value,
        update_age: s.update_age.value,
    })
}

fn wiring(c: &Compilation, report: &Report, ranges: &mut json::Ranges) -> Option<JsonWiring> {
    if c.has_errors() {
        return None;
    }
    let (status, file, span) = match &report.wiring {
        WiringReport::Off => ("off", None, None),
        WiringReport::Removed { path } => ("removed", Some(path.clone()), None),
        WiringReport::NoModule { path } => ("no-module", Some(path.clone()), None),
        WiringReport::Wired(p) => ("wired", Some(p.path.clone()), Some(p.span)),
        WiringReport::NotWired(p) => ("not-wired", Some(p.path.clone()), Some(p.span)),
    };
    Some(JsonWiring {
        status,
        file,
        range: span.map(|s| ranges.range(s)),
    })
}

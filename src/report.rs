//! One report of a compilation, as plain data: every resolved binding with
//! where its values came from, the sessions, and the wiring of the auth module.
//!
//! `build`'s summary, its JSON report (`cli/report.rs`) and the language
//! server's hover (`lsp/hover.rs`) all render this one value; none of them
//! re-derives facts from the model. A new fact is added here once.

use crate::compile::Compilation;
use crate::emit::auth_module::Wiring;
use crate::model::{
    DEFAULT_KEY_PREFIX, DEFAULT_SESSION_EXPIRES_IN, DEFAULT_SESSION_UPDATE_AGE, EnvironmentIds,
    Origin, Resolved, Setting,
};
use crate::span::{Files, LineIndex, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub bindings: Vec<BindingReport>,
    /// Present when Better Auth is the auth provider and KV is in use.
    pub sessions: Option<SessionsReport>,
    /// What happened to the app's auth module.
    pub wiring: WiringReport,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BindingReport {
    pub name: Setting<String>,
    /// The winning namespace id.
    pub id: Option<String>,
    /// A location gives an id but could not be evaluated (already reported).
    pub id_failed: bool,
    /// Every location giving an id, in resolution order (the winner first).
    pub sources: Vec<IdSource>,
    pub preview_id: Option<Resolved<String>>,
    pub remote: bool,
    /// The wrangler environments the binding is written into.
    pub environments: Vec<EnvironmentReport>,
    /// `environments.<name>` as the config writes them, with their origins.
    pub config_environments: Vec<EnvironmentIds>,
    /// Where the binding is declared (its provider or `namespaces` entry).
    pub declared_at: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdSource {
    pub value: String,
    pub origin: Origin,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// First in resolution order.
    Wins,
    /// Gives the winner's id again.
    SameId,
    /// Gives another id (an error already reports it).
    Conflicts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentReport {
    pub name: String,
    pub namespace_id: Option<String>,
    pub preview_id: Option<String>,
    /// The environment's own id; `None` when it shares the top-level namespace.
    pub own: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionsReport {
    /// Whether Better Auth keeps sessions in KV (`session.storage` is not `"database"`).
    pub in_kv: bool,
    pub binding: Setting<String>,
    pub key_prefix: Setting<String>,
    /// Seconds.
    pub expires_in: Setting<u64>,
    /// Seconds.
    pub update_age: Setting<u64>,
    /// `session.storage` as written, when it is.
    pub storage_span: Option<Span>,
    /// `session.kvOnly: true`: sessions have no database row.
    pub kv_only: bool,
    /// Which Better Auth the app has, and from which file.
    pub better_auth: BetterAuthReport,
}

/// The Better Auth version found (SPEC §3.4.1), for people and tools.
#[derive(Debug, Clone, PartialEq)]
pub struct BetterAuthReport {
    /// An exact version, or the dependency range when `range`.
    pub version: Option<String>,
    pub range: bool,
    /// The file it came from.
    pub source: Option<String>,
    /// A `bun.lockb` is there (binary: not read).
    pub bun_binary: bool,
}

impl BetterAuthReport {
    /// One line: `1.6.9 (package-lock.json)`, or why there is none.
    pub fn describe(&self) -> String {
        let bun = if self.bun_binary {
            "; bun.lockb is binary and cannot be read"
        } else {
            ""
        };
        match (&self.version, &self.source) {
            (Some(v), Some(source)) if self.range => {
                format!("range {v} ({source}); the installed version is not known{bun}")
            }
            (Some(v), Some(source)) => format!("{v} ({source})"),
            _ => format!(
                "not found (no node_modules/better-auth, lockfile or package.json dependency){bun}"
            ),
        }
    }
}

/// The wiring of the auth module, with places resolved to lines for people.
#[derive(Debug, Clone, PartialEq)]
pub enum WiringReport {
    /// Nothing to do: KV sessions are off and the module holds nothing of quickback-kv's.
    Off,
    /// KV sessions are off; the wiring an earlier run inserted was removed.
    Removed { path: String },
    /// KV sessions are on but there is no auth module at this path.
    NoModule { path: String },
    /// `betterAuth` at this place keeps sessions in KV.
    Wired(Place),
    /// The module was left untouched; a warning at this place says what to add.
    NotWired(Place),
}

/// A place in a file: path, 1-based line and column (in characters), and the span.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub span: Span,
}

impl Place {
    pub fn new(files: &Files, span: Span) -> Place {
        let text = files.text(span.file);
        let position = LineIndex::new(text).position(text, span.start);
        Place {
            path: files.path(span.file).to_string(),
            line: position.line + 1,
            column: position.char_col + 1,
            span,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

fn better_auth(c: &Compilation) -> BetterAuthReport {
    let found = c.better_auth.found.as_ref();
    BetterAuthReport {
        version: found.map(|f| f.version.clone()),
        range: found.is_some_and(|f| f.range),
        source: found.map(|f| f.source.clone()),
        bun_binary: c.better_auth.bun_binary,
    }
}

/// The report of a compilation (of whatever it resolved, even with errors).
pub fn report(c: &Compilation) -> Report {
    let model = &c.model;
    let bindings = model
        .bindings
        .iter()
        .map(|b| {
            let winner = b.id_sources.first().map(|w| w.value.as_str());
            BindingReport {
                name: b.name.clone(),
                id: b.id.as_ref().map(|id| id.value.clone()),
                id_failed: b.id_failed,
                sources: b
                    .id_sources
                    .iter()
                    .enumerate()
                    .map(|(i, s)| IdSource {
                        value: s.value.clone(),
                        origin: s.origin.clone(),
                        verdict: match i {
                            0 => Verdict::Wins,
                            _ if winner == Some(s.value.as_str()) => Verdict::SameId,
                            _ => Verdict::Conflicts,
                        },
                    })
                    .collect(),
                preview_id: b.preview_id.clone(),
                remote: b.remote,
                environments: c
                    .desired
                    .environments
                    .iter()
                    .filter_map(|(name, entries)| {
                        let entry = entries.iter().find(|e| e.binding == b.name.value)?;
                        Some(EnvironmentReport {
                            name: name.clone(),
                            namespace_id: entry.id.clone(),
                            preview_id: entry.preview_id.clone(),
                            own: b
                                .environment(name)
                                .and_then(|e| e.id.as_ref())
                                .map(|id| id.origin.clone()),
                        })
                    })
                    .collect(),
                config_environments: b.environments.clone(),
                declared_at: b.declared_at,
            }
        })
        .collect();
    let sessions = model
        .bindings
        .first()
        .filter(|_| model.better_auth)
        .map(|primary| match &model.session {
            Some(s) => SessionsReport {
                in_kv: s.stored_in_kv,
                binding: s.binding.clone(),
                key_prefix: s.key_prefix.clone(),
                expires_in: s.expires_in.clone(),
                update_age: s.update_age.clone(),
                storage_span: s.storage_span,
                kv_only: s.kv_only.is_some(),
                better_auth: better_auth(c),
            },
            None => SessionsReport {
                in_kv: true,
                binding: Setting::default(primary.name.value.clone()),
                key_prefix: Setting::default(DEFAULT_KEY_PREFIX.to_string()),
                expires_in: Setting::default(DEFAULT_SESSION_EXPIRES_IN),
                update_age: Setting::default(DEFAULT_SESSION_UPDATE_AGE),
                storage_span: None,
                kv_only: false,
                better_auth: better_auth(c),
            },
        });
    let wiring = match &c.wiring {
        Wiring::Off => WiringReport::Off,
        Wiring::Removed { path, .. } => WiringReport::Removed { path: path.clone() },
        Wiring::NoModule { path } => WiringReport::NoModule { path: path.clone() },
        Wiring::Wired { at, .. } => WiringReport::Wired(Place::new(&c.files, *at)),
        Wiring::NotWired { at, .. } => WiringReport::NotWired(Place::new(&c.files, *at)),
    };
    Report {
        bindings,
        sessions,
        wiring,
    }
}

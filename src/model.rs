//! The resolved KV setup of a config: one answer per binding, each value with
//! the place it came from. Built by `resolve`, checked by `validate`, read by `emit`.

use crate::eval::Via;
use crate::span::Span;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The config path that holds it, e.g. `providers.auth.kvId`.
    pub path: String,
    /// The expression at that path.
    pub use_span: Span,
    /// Where the value is written (a literal, possibly in a const elsewhere, or a `process.env` read).
    pub value_span: Span,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<T> {
    pub value: T,
    pub origin: Origin,
}

/// A value that may be a built-in default.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    /// `None` when the default applies.
    pub origin: Option<Origin>,
}

impl<T> Setting<T> {
    pub fn default(value: T) -> Setting<T> {
        Setting {
            value,
            origin: None,
        }
    }
}

pub const DEFAULT_BINDING: &str = "KV";
pub const DEFAULT_KEY_PREFIX: &str = "session:";
/// Better Auth's defaults: sessions live 7 days and are refreshed once a day.
pub const DEFAULT_SESSION_EXPIRES_IN: u64 = 7 * 24 * 60 * 60;
pub const DEFAULT_SESSION_UPDATE_AGE: u64 = 24 * 60 * 60;
/// The smallest `expirationTtl` Workers KV accepts.
pub const KV_MIN_TTL: u64 = 60;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct KvModel {
    /// The KV bindings, when the config uses KV at all. The first is the storage
    /// provider's own binding (the one `kvId` and `kvNamespaceId` also feed);
    /// the others come from `namespaces`, in written order.
    pub bindings: Vec<Binding>,
    /// Whether the auth provider is Better Auth (the session adapter targets it).
    pub better_auth: bool,
    pub session: Option<Session>,
    /// Only resolved when a new wrangler file has to be created.
    pub worker_name: Option<Resolved<String>>,
    pub compatibility_date: Option<Resolved<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub name: Setting<String>,
    /// The winning namespace id, `None` when no location gives one.
    pub id: Option<Resolved<String>>,
    /// Every location that gives an id, in resolution order (the winner first).
    pub id_sources: Vec<Resolved<String>>,
    /// Whether an id location is written but could not be evaluated (already reported).
    pub id_failed: bool,
    /// `previewId`: the namespace `wrangler dev` uses.
    pub preview_id: Option<Resolved<String>>,
    /// `remote: true`: `wrangler dev` binds the deployed namespace.
    pub remote: bool,
    /// `environments.<name>`, in written order.
    pub environments: Vec<EnvironmentIds>,
    /// What turns this binding on: its provider or `namespaces` entry, else the
    /// first id, else `session.storage`.
    pub declared_at: Span,
}

/// A binding's own namespace for one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentIds {
    /// The environment's name; its origin is the key in `environments`.
    pub name: Resolved<String>,
    pub id: Option<Resolved<String>>,
    pub id_failed: bool,
    pub preview_id: Option<Resolved<String>>,
}

impl Binding {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentIds> {
        self.environments.iter().find(|e| e.name.value == name)
    }
}

/// Session options of `defineAuth("better-auth", { session })`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Whether sessions are kept in KV: `session.storage` is `"kv"` or not set
    /// (KV is the default when KV is in use); `"database"` turns it off.
    pub stored_in_kv: bool,
    /// `kvOnly: true`, where written: sessions live in KV alone, with no database
    /// row (Better Auth without `session.storeSessionInDatabase`). Off by default:
    /// the database stays the source of truth and KV caches sessions (SPEC §3.4.1).
    pub kv_only: Option<Span>,
    /// Where `storage: "kv"` is written, when it is.
    pub storage_span: Option<Span>,
    pub binding: Setting<String>,
    pub key_prefix: Setting<String>,
    /// Seconds.
    pub expires_in: Setting<u64>,
    /// Seconds.
    pub update_age: Setting<u64>,
}

impl KvModel {
    pub fn in_use(&self) -> bool {
        !self.bindings.is_empty()
    }

    /// Whether Better Auth keeps sessions in KV: KV is in use, the auth provider
    /// is Better Auth, and its `session.storage` is not `"database"`.
    pub fn kv_sessions(&self) -> bool {
        self.better_auth && self.in_use() && self.session.as_ref().is_none_or(|s| s.stored_in_kv)
    }

    /// Whether KV sessions are on and KV-only (`session.kvOnly: true`).
    pub fn kv_only_sessions(&self) -> bool {
        self.kv_sessions() && self.session.as_ref().is_some_and(|s| s.kv_only.is_some())
    }

    pub fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.name.value == name)
    }

    /// Environment names the config gives ids for, each once, in first-written order.
    pub fn environment_names(&self) -> Vec<&Resolved<String>> {
        let mut names: Vec<&Resolved<String>> = Vec::new();
        for env in self.bindings.iter().flat_map(|b| &b.environments) {
            if !names.iter().any(|n| n.value == env.name.value) {
                names.push(&env.name);
            }
        }
        names
    }
}

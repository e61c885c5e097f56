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
        Setting { value, origin: None }
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
    /// The KV binding, when the config uses KV at all.
    pub binding: Option<Binding>,
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
    /// What turns KV on: the storage provider, else the first id, else `session.storage`.
    pub declared_at: Span,
}

/// Session options of `defineAuth("better-auth", { session })`, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Whether `session.storage` is `"kv"`.
    pub stored_in_kv: bool,
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
        self.binding.is_some()
    }
}

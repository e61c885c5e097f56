//! The wrangler config (`wrangler.toml`, `wrangler.jsonc`, `wrangler.json`): one
//! format-neutral core and two thin format halves.
//!
//! The core reads every scope (the top level and each `env.NAME`) through the
//! [`Node`] view both formats implement ([`read`]), decides in one place which
//! `kv_namespaces` entries the compiler owns ([`ownership`]), and turns the
//! entries wanted per scope into operations ([`reconcile`]): update an owned
//! entry in place (marking an adopted one), append a missing one, remove an
//! owned one nobody asks for. The halves (`toml`, `json`) only parse, expose
//! their tree as [`Node`]s and apply [`ScopeEdit`]s to their own text.
//!
//! Ownership, the three rules:
//! 1. **Marked**: an entry with the [`MARKER_TEXT`] comment directly above it
//!    (`#` in TOML, `//` in JSONC) was written by the compiler. The marker's
//!    other form ([`MARKER_KEPT_ID_TEXT`]) records that its id is the file's own.
//! 2. **Adopted**: an unmarked entry whose binding the config asks for is the
//!    user's (or Quickback's) existing namespace. Its ids join resolution as the
//!    lowest-precedence source (`crate::adopt`); the entry is marked and updated.
//! 3. **By name** (strict `wrangler.json`, which must stay comment-free, and an
//!    environment written as a TOML inline table, which cannot hold a comment):
//!    rule 2 without the mark. Such an entry is never removed, since nothing
//!    records that the compiler wrote it.
//!
//! Bindings of every other kind come from one table ([`kinds`]), so both formats
//! see the same names for duplicate checks.

pub mod json;
pub mod kinds;
pub mod toml;

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// One `kv_namespaces` entry the compiler wants in the wrangler config.
/// Keys are written in this order: `binding`, `id`, `preview_id`, `remote`.
#[derive(Debug, Clone, PartialEq)]
pub struct KvEntry {
    pub binding: String,
    /// `None`: no `id` key (wrangler creates the namespace on first deploy).
    pub id: Option<String>,
    pub preview_id: Option<String>,
    /// `remote = true` when set; the key is absent otherwise.
    pub remote: bool,
    /// The marker an owned entry carries: [`Marker::KeptId`] when `id` is the file's own.
    pub marker: Marker,
}

/// The keys of a `kv_namespaces` entry the compiler writes, in writing order.
pub const ENTRY_KEYS: [&str; 4] = ["binding", "id", "preview_id", "remote"];

/// A value the compiler wants for one key of an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyValue<'a> {
    String(&'a str),
    True,
}

impl KvEntry {
    /// Each key of [`ENTRY_KEYS`] with its wanted value (`None`: the key is absent).
    pub fn keys(&self) -> [(&'static str, Option<KeyValue<'_>>); 4] {
        [
            ("binding", Some(KeyValue::String(&self.binding))),
            ("id", self.id.as_deref().map(KeyValue::String)),
            (
                "preview_id",
                self.preview_id.as_deref().map(KeyValue::String),
            ),
            ("remote", self.remote.then_some(KeyValue::True)),
        ]
    }
}

/// Every `kv_namespaces` entry the compiler wants, per scope of the wrangler config.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    /// Top-level `kv_namespaces`.
    pub top: Vec<KvEntry>,
    /// `env.<name>.kv_namespaces`, in the order environments should appear.
    /// An environment listed here but absent from the file is created.
    pub environments: Vec<(String, Vec<KvEntry>)>,
}

impl Desired {
    /// The entries wanted in one scope (`None`: top level).
    pub fn scope(&self, environment: Option<&str>) -> &[KvEntry] {
        match environment {
            None => &self.top,
            Some(name) => self
                .environments
                .iter()
                .find(|(n, _)| n == name)
                .map_or(&[], |(_, e)| e),
        }
    }
}

/// The key of wrangler's KV namespace bindings, in every scope.
pub const KV_NAMESPACES: &str = "kv_namespaces";
/// The key holding wrangler's environments.
pub const ENV: &str = "env";

/// Marks an entry the compiler owns: a comment directly above it (`#` in TOML,
/// `//` in JSONC). Detection looks for [`MARKER_PROBE`] in that comment.
pub const MARKER_TEXT: &str =
    "Managed by quickback-kv: change the Quickback config, not this entry.";
/// The marker of an entry whose id the config does not give: the id the file
/// had when the compiler adopted the entry is kept (see [`Marker::KeptId`]).
pub const MARKER_KEPT_ID_TEXT: &str =
    "Managed by quickback-kv, id kept from this file: change the Quickback config, not this entry.";
pub const MARKER_PROBE: &str = "Managed by quickback-kv";
const KEPT_ID_PROBE: &str = "id kept from this file";

/// The two markers. The kind is the only thing the compiler records in the file:
/// whether the entry's id is the config's (and follows it) or the file's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Marker {
    /// Every value comes from the config.
    #[default]
    Plain,
    /// The config gives no id for this scope; the entry's id was in the file
    /// when the compiler adopted it and stays until the config gives one.
    KeptId,
}

impl Marker {
    pub fn text(self) -> &'static str {
        match self {
            Marker::Plain => MARKER_TEXT,
            Marker::KeptId => MARKER_KEPT_ID_TEXT,
        }
    }

    /// The marker a comment's text carries, if any.
    pub fn find(comment: &str) -> Option<Marker> {
        let at = comment.find(MARKER_PROBE)?;
        let line = comment.get(at..).unwrap_or("");
        let line = line.split(['\n', '\r']).next().unwrap_or("");
        Some(if line.contains(KEPT_ID_PROBE) {
            Marker::KeptId
        } else {
            Marker::Plain
        })
    }
}

/// The file formats, for messages and for what each can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Jsonc,
    /// `wrangler.json`: no comments, so no marks.
    Json,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Toml => "wrangler.toml",
            Format::Jsonc => "wrangler.jsonc",
            Format::Json => "wrangler.json",
        }
    }

    /// Whether owned entries carry a marker comment.
    pub fn marks(self) -> bool {
        self != Format::Json
    }

    fn kv_help(self) -> &'static str {
        match self {
            Format::Toml => {
                "write each namespace as a `[[kv_namespaces]]` table with `binding` and `id`"
            }
            Format::Jsonc | Format::Json => {
                "write `kv_namespaces` as an array of objects such as `{ \"binding\": \"KV\", \"id\": \"<namespace id>\" }`"
            }
        }
    }

    /// The label for a value of the wrong shape: `what` is `list`, `entry`,
    /// `env` or `environment`; each format words it as its users write it.
    fn not_a(self, what: &str) -> &'static str {
        match (self, what) {
            (Format::Toml, "list") => "`kv_namespaces` must be a list of tables",
            (Format::Toml, "entry") => "this entry is not a table",
            (Format::Toml, "env") => "`env` must be a table of environments",
            (Format::Toml, _) => "this environment is not a table",
            (_, "list") => "this is not an array",
            (_, "entry") => "this entry is not an object",
            (_, _) => "this is not an object",
        }
    }

    fn env_help(self) -> &'static str {
        match self {
            Format::Toml => "write each environment as an `[env.NAME]` table",
            Format::Jsonc | Format::Json => {
                "write `env` as an object with one object per environment: `\"env\": { \"staging\": { ... } }`"
            }
        }
    }
}

// ---- the view both formats give of their tree ---------------------------------------

/// What a node of the parsed file is.
pub enum Shape<N> {
    /// A table / object: its keys in file order (duplicates included, as JSON allows).
    Table(Vec<(Key, N)>),
    Array(Vec<N>),
    String(String),
    Bool(bool),
    Other,
}

/// A key of a table with the byte range of its name.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub range: Option<Range<usize>>,
}

/// One node of a parsed wrangler file, as the core reads it.
pub trait Node: Sized {
    fn shape(&self) -> Shape<Self>;
    /// The node's byte range in the file's text (for a TOML table: its header).
    fn range(&self) -> Option<Range<usize>>;
    /// For an entry of an array: the ownership marker in the comment directly above it.
    fn marked(&self) -> Option<Marker>;
    /// Whether a marker can be written above this entry (not inside a TOML inline table).
    fn can_mark(&self) -> bool {
        true
    }
}

// ---- facts read from the file ---------------------------------------------------------

/// A string the file holds, with where.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// One `kv_namespaces` entry as written.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryFacts {
    pub span: Span,
    pub binding: Text,
    /// `Err(span)`: present but not a string.
    pub id: Option<Result<Text, Span>>,
    pub preview_id: Option<Result<Text, Span>>,
    pub remote: Option<bool>,
    pub marked: Option<Marker>,
    /// False where no marker can be written (an environment that is a TOML inline
    /// table): such an entry is owned by name, like one in a strict `wrangler.json`.
    pub can_mark: bool,
}

/// The `kv_namespaces` of one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeFacts {
    /// `None`: top level.
    pub environment: Option<String>,
    pub entries: Vec<EntryFacts>,
}

/// A binding of another kind (`vars`, `d1_databases`, `ai`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct OtherBinding {
    pub name: String,
    pub span: Span,
    /// The key that declares it, e.g. `d1_databases` or `durable_objects.bindings`.
    pub kind: String,
    pub environment: Option<String>,
}

/// An `env.<name>` section of the wrangler file.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    /// The section's name in the file (its header or key).
    pub span: Span,
}

/// Who owns a `kv_namespaces` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Written by the compiler (carries the marker).
    Marked(Marker),
    /// Unmarked, with a binding the config asks for: the compiler takes it over
    /// and marks it.
    Adopted,
    /// Where no mark can be written (a strict `wrangler.json`, a TOML inline
    /// table): an entry whose
    /// binding the config asks for. Updated like an adopted one every run, never
    /// removed; its id only fills in for a config without one (it is the
    /// compiler's own previous output as often as the user's).
    ByName,
    /// Unmarked, a binding the config does not manage: the user's alone.
    HandWritten,
}

/// A `kv_namespaces` entry with its ownership decided.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingEntry {
    pub facts: EntryFacts,
    pub owner: Owner,
}

/// One scope's entries with ownership.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingScope {
    pub environment: Option<String>,
    pub entries: Vec<ExistingEntry>,
}

/// What the compiler knows of an existing wrangler config before editing it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Existing {
    pub format: Option<Format>,
    /// The top level first, then every environment in file order.
    pub scopes: Vec<ExistingScope>,
    /// Environments in file order.
    pub environments: Vec<Environment>,
    /// Bindings of every other kind, in every scope.
    pub others: Vec<OtherBinding>,
}

impl Existing {
    /// KV entries the user wrote by hand for bindings the config does not manage.
    pub fn hand_written_kv(&self) -> impl Iterator<Item = (Option<&str>, &EntryFacts)> {
        self.scopes.iter().flat_map(|s| {
            s.entries
                .iter()
                .filter(|e| e.owner == Owner::HandWritten)
                .map(move |e| (s.environment.as_deref(), &e.facts))
        })
    }

    /// Entries the compiler owns, per scope, with how it came to own them.
    pub fn owned(&self) -> impl Iterator<Item = (Option<&str>, &EntryFacts, Owner)> {
        self.scopes.iter().flat_map(|s| {
            s.entries
                .iter()
                .filter(|e| e.owner != Owner::HandWritten)
                .map(move |e| (s.environment.as_deref(), &e.facts, e.owner))
        })
    }
}

/// The facts of a whole file, before ownership is decided.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    pub scopes: Vec<ScopeFacts>,
    pub environments: Vec<Environment>,
    pub others: Vec<OtherBinding>,
}

/// Reads every scope of a parsed file through its [`Node`] view.
pub fn read<N: Node>(root: &N, file: FileId, format: Format) -> Result<Facts, Diagnostic> {
    let reader = Reader { file, format };
    let Shape::Table(top) = root.shape() else {
        return Err(Diagnostic::new(
            Code::WranglerInvalid,
            format!("{} must hold a JSON object", format.file_name()),
            reader.span(root.range()),
            "this is not an object",
        )
        .with_help("write the configuration as one object: `{ \"name\": \"my-worker\", ... }`"));
    };
    let mut facts = Facts::default();
    reader.scope(&top, None, &mut facts)?;
    if let Some((key, envs)) = reader.unique(&top, ENV)? {
        let Shape::Table(envs) = envs.shape() else {
            return Err(reader.shape_error(
                envs.range().or(key.range.clone()),
                "`env`".into(),
                format.not_a("env"),
                format.env_help(),
            ));
        };
        let mut seen: HashMap<&str, &Key> = HashMap::new();
        for (key, env) in &envs {
            if let Some(first) = seen.insert(&key.name, key) {
                return Err(reader.duplicate(first, key, &format!("environment `{}`", key.name)));
            }
            let Shape::Table(body) = env.shape() else {
                // TOML points at the environment's name, JSON at its value.
                let range = match format {
                    Format::Toml => key.range.clone().or(env.range()),
                    Format::Jsonc | Format::Json => env.range().or(key.range.clone()),
                };
                return Err(reader.shape_error(
                    range,
                    format!("environment `{}`", key.name),
                    format.not_a("environment"),
                    format.env_help(),
                ));
            };
            facts.environments.push(Environment {
                name: key.name.clone(),
                span: reader.span(key.range.clone()),
            });
            reader.scope(&body, Some(&key.name), &mut facts)?;
        }
    }
    Ok(facts)
}

struct Reader {
    file: FileId,
    format: Format,
}

impl Reader {
    fn span(&self, range: Option<Range<usize>>) -> Span {
        let r = range.unwrap_or(0..0);
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span::new(self.file, at(r.start), at(r.end))
    }

    fn shape_error(
        &self,
        range: Option<Range<usize>>,
        what: String,
        label: &str,
        help: &str,
    ) -> Diagnostic {
        Diagnostic::new(
            Code::WranglerInvalid,
            format!(
                "{what} in {} has an unexpected shape",
                self.format.file_name()
            ),
            self.span(range),
            label,
        )
        .with_help(help)
    }

    fn duplicate(&self, first: &Key, again: &Key, what: &str) -> Diagnostic {
        Diagnostic::new(
            Code::WranglerInvalid,
            format!("{what} is written twice in {}", self.format.file_name()),
            self.span(again.range.clone()),
            "written again here",
        )
        .with_label(self.span(first.range.clone()), "first written here")
        .with_help("keep one of them; wrangler reads only the last")
    }

    /// A key the compiler navigates through must be written once (JSON allows
    /// duplicates; wrangler reads the last, a tree walk would find the first).
    fn unique<'t, N>(
        &self,
        table: &'t [(Key, N)],
        name: &str,
    ) -> Result<Option<&'t (Key, N)>, Diagnostic> {
        let mut found = table.iter().filter(|(k, _)| k.name == name);
        match (found.next(), found.next()) {
            (Some(first), Some(again)) => {
                Err(self.duplicate(&first.0, &again.0, &format!("`{name}`")))
            }
            (first, _) => Ok(first),
        }
    }

    fn scope<N: Node>(
        &self,
        table: &[(Key, N)],
        environment: Option<&str>,
        facts: &mut Facts,
    ) -> Result<(), Diagnostic> {
        let what = || match environment {
            None => format!("`{KV_NAMESPACES}`"),
            Some(env) => format!("`{ENV}.{env}.{KV_NAMESPACES}`"),
        };
        let mut entries = Vec::new();
        if let Some((key, list)) = self.unique(table, KV_NAMESPACES)? {
            let Shape::Array(elements) = list.shape() else {
                return Err(self.shape_error(
                    list.range().or(key.range.clone()),
                    what(),
                    self.format.not_a("list"),
                    self.format.kv_help(),
                ));
            };
            for element in &elements {
                entries.push(self.entry(element, &what)?);
            }
        }
        facts.scopes.push(ScopeFacts {
            environment: environment.map(str::to_string),
            entries,
        });
        for (key, node) in table {
            kinds::other_bindings(&key.name, node, &mut |name, range, kind| {
                facts.others.push(OtherBinding {
                    name,
                    span: self.span(range),
                    kind,
                    environment: environment.map(str::to_string),
                });
            });
        }
        Ok(())
    }

    fn entry<N: Node>(
        &self,
        element: &N,
        what: &dyn Fn() -> String,
    ) -> Result<EntryFacts, Diagnostic> {
        let Shape::Table(keys) = element.shape() else {
            return Err(self.shape_error(
                element.range(),
                what(),
                self.format.not_a("entry"),
                self.format.kv_help(),
            ));
        };
        let field = |name: &str| -> Result<Option<Result<Text, Span>>, Diagnostic> {
            Ok(self
                .unique(&keys, name)?
                .map(|(_, node)| match node.shape() {
                    Shape::String(value) => Ok(Text {
                        value,
                        span: self.span(node.range()),
                    }),
                    _ => Err(self.span(node.range())),
                }))
        };
        let binding = match field("binding")? {
            Some(Ok(binding)) => binding,
            Some(Err(span)) => {
                return Err(Diagnostic::new(
                    Code::WranglerInvalid,
                    format!(
                        "{} in {} has an unexpected shape",
                        what(),
                        self.format.file_name()
                    ),
                    span,
                    "`binding` must be a string",
                )
                .with_help(self.format.kv_help()));
            }
            None => {
                return Err(self.shape_error(
                    element.range(),
                    what(),
                    "this entry has no `binding`",
                    self.format.kv_help(),
                ));
            }
        };
        let remote = self
            .unique(&keys, "remote")?
            .and_then(|(_, node)| match node.shape() {
                Shape::Bool(b) => Some(b),
                _ => None,
            });
        Ok(EntryFacts {
            span: self.span(element.range()),
            binding,
            id: field("id")?,
            preview_id: field("preview_id")?,
            remote,
            marked: element.marked(),
            can_mark: element.can_mark(),
        })
    }
}

// ---- ownership ----------------------------------------------------------------------

/// Decides who owns every `kv_namespaces` entry: `managed` are the bindings the
/// config asks for. Errors: an owned entry whose `id` or `preview_id` is not a
/// string, and a managed binding bound by more than one unmarked entry (or an
/// unmarked and a marked one) in one scope, which would leave the compiler to
/// guess which namespace is meant.
pub fn ownership(facts: Facts, format: Format, managed: &[String]) -> (Existing, Vec<Diagnostic>) {
    let managed: HashSet<&str> = managed.iter().map(String::as_str).collect();
    let mut diagnostics = Vec::new();
    let mut scopes = Vec::with_capacity(facts.scopes.len());
    for scope in facts.scopes {
        // Per managed binding: the entries that bind it in this scope.
        let mut seen: HashMap<String, Vec<(Span, bool)>> = HashMap::new();
        let mut entries = Vec::with_capacity(scope.entries.len());
        for facts in scope.entries {
            let name = facts.binding.value.as_str();
            let marks = format.marks() && facts.can_mark;
            let owner = if let Some(marker) = facts.marked.filter(|_| marks) {
                Owner::Marked(marker)
            } else if managed.contains(name) && marks {
                Owner::Adopted
            } else if managed.contains(name) {
                Owner::ByName
            } else {
                Owner::HandWritten
            };
            // An adopted entry's ids are read; a marked one's are simply rewritten.
            if owner == Owner::Adopted {
                for field in [&facts.id, &facts.preview_id].into_iter().flatten() {
                    if let Err(span) = field {
                        diagnostics.push(not_a_string(*span, format, name));
                    }
                }
            }
            if managed.contains(name) {
                seen.entry(name.to_string())
                    .or_default()
                    .push((facts.binding.span, matches!(owner, Owner::Marked(_))));
            }
            entries.push(ExistingEntry { facts, owner });
        }
        let mut names: Vec<(String, Vec<(Span, bool)>)> = seen.into_iter().collect();
        names.sort_by(|a, b| a.1[0].0.cmp(&b.1[0].0));
        for (name, places) in names {
            let unmarked = places.iter().filter(|(_, marked)| !marked).count();
            if places.len() > 1 && unmarked > 0 {
                diagnostics.push(bound_twice(&name, &places, scope.environment.as_deref()));
            }
        }
        scopes.push(ExistingScope {
            environment: scope.environment,
            entries,
        });
    }
    let existing = Existing {
        format: Some(format),
        scopes,
        environments: facts.environments,
        others: facts.others,
    };
    (existing, diagnostics)
}

fn not_a_string(span: Span, format: Format, binding: &str) -> Diagnostic {
    Diagnostic::new(
        Code::WranglerInvalid,
        format!(
            "the `{binding}` entry in {} has an id that is not a string",
            format.file_name()
        ),
        span,
        "a namespace id is a string of 32 hexadecimal characters",
    )
    .with_help(match format {
        Format::Toml => "write the id in quotes, e.g. `id = \"0f2ac74b498b48028cb68387c421e279\"`",
        Format::Jsonc | Format::Json => {
            "write the id as a string, e.g. `\"id\": \"0f2ac74b498b48028cb68387c421e279\"`"
        }
    })
}

fn bound_twice(name: &str, places: &[(Span, bool)], environment: Option<&str>) -> Diagnostic {
    let scope = environment.map_or(String::new(), |e| format!(" in `env.{e}`"));
    let mut d = Diagnostic::new(
        Code::KvDuplicateBinding,
        format!("binding `{name}` is bound twice{scope}"),
        places[1].0,
        "bound again here",
    );
    d = d.with_label(places[0].0, "first bound here");
    for (span, _) in places.iter().skip(2) {
        d = d.with_label(*span, "and here");
    }
    d.with_help(format!(
        "keep one `kv_namespaces` entry for `{name}` in this scope; quickback-kv cannot tell which namespace is meant"
    ))
}

// ---- operations ---------------------------------------------------------------------

/// One change to a scope's `kv_namespaces`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Bring the entry at `index` (in file order) to `entry`; `mark`: write
    /// this marker (an adopted entry gets one, a marked one a different kind).
    Update {
        index: usize,
        entry: KvEntry,
        mark: Option<Marker>,
    },
    Remove {
        index: usize,
    },
    Append(KvEntry),
}

/// The operations for one scope. `exists`: the scope is in the file (an
/// environment the file lacks is created by its first append).
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeEdit {
    pub environment: Option<String>,
    pub exists: bool,
    pub ops: Vec<Op>,
}

/// The operations that bring every scope of the file to `desired`: the file's
/// scopes in file order, then the environments only `desired` names.
pub fn reconcile(existing: &Existing, desired: &Desired) -> Vec<ScopeEdit> {
    let mut edits = Vec::new();
    for scope in &existing.scopes {
        let wanted = desired.scope(scope.environment.as_deref());
        let mut done = vec![false; wanted.len()];
        let mut ops = Vec::new();
        for (index, entry) in scope.entries.iter().enumerate() {
            if entry.owner == Owner::HandWritten {
                continue;
            }
            let slot = wanted
                .iter()
                .zip(done.iter_mut())
                .find(|(w, done)| !**done && w.binding == entry.facts.binding.value);
            match slot {
                Some((wanted, done)) => {
                    *done = true;
                    let mark = match entry.owner {
                        Owner::Adopted => Some(wanted.marker),
                        Owner::Marked(now) if now != wanted.marker => Some(wanted.marker),
                        _ => None,
                    };
                    ops.push(Op::Update {
                        index,
                        entry: wanted.clone(),
                        mark,
                    });
                }
                // Only what the compiler provably wrote goes.
                None if matches!(entry.owner, Owner::Marked(_)) => ops.push(Op::Remove { index }),
                None => {}
            }
        }
        // A binding wanted twice is reported elsewhere; appending both would grow the file every run.
        let mut appended: HashSet<&str> = wanted
            .iter()
            .zip(&done)
            .filter(|(_, done)| **done)
            .map(|(w, _)| w.binding.as_str())
            .collect();
        for (wanted, done) in wanted.iter().zip(&done) {
            if !done && appended.insert(&wanted.binding) {
                ops.push(Op::Append(wanted.clone()));
            }
        }
        edits.push(ScopeEdit {
            environment: scope.environment.clone(),
            exists: true,
            ops,
        });
    }
    for (name, wanted) in &desired.environments {
        if wanted.is_empty()
            || existing
                .scopes
                .iter()
                .any(|s| s.environment.as_deref() == Some(name))
        {
            continue;
        }
        let mut appended: HashSet<&str> = HashSet::new();
        edits.push(ScopeEdit {
            environment: Some(name.clone()),
            exists: false,
            ops: wanted
                .iter()
                .filter(|w| appended.insert(&w.binding))
                .cloned()
                .map(Op::Append)
                .collect(),
        });
    }
    edits
}

/// The file's line ending: CRLF when its first line break is one.
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
        _ => "\n",
    }
}

/// A UTF-8 byte order mark at the start of the text, which both formats keep.
pub const BOM: &str = "\u{feff}";

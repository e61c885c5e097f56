//! Wiring KV sessions into the app's auth module (`src/lib/auth.ts`, SPEC §3.4).
//!
//! The module's `betterAuth({ … })` call is edited in place by byte-range splices,
//! applied back to front; every byte the compiler does not insert stays as it was.
//! Each inserted piece ends with a marker comment (`// quickback-kv: …`, or
//! `/* quickback-kv: … */` inside a one-line object), which is how the next run
//! finds it to update or remove it. The texts of the pieces live in [`pieces`]
//! and nowhere else.

use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::syntax::auth_module::{
    self, AuthModule, BetterAuthCall, Member, MemberKind, ObjectLit, OptionsArg, Value,
};

use super::ts;

/// Every marker comment starts with this (after `//` or `/*` and one space).
pub const MARKER: &str = "quickback-kv";

/// What the wiring is asked to do.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The auth module's path, relative to the project root.
    pub module_path: &'a str,
    /// The session adapter's path, relative to the project root.
    pub adapter_path: &'a str,
    /// Whether sessions belong in KV: the pieces are wanted (else removed).
    pub kv_sessions: bool,
    /// KV-only sessions (the config's `session.kvOnly`): no
    /// `session.storeSessionInDatabase: true`, so sessions have no database row.
    pub kv_only: bool,
}

/// Where the module keeps sessions, as its text says (before or after a build).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionMode {
    /// No `secondaryStorage` of quickback-kv's: sessions are rows in the database.
    #[default]
    Database,
    /// KV in front of the database (`storeSessionInDatabase: true`).
    Cached,
    /// KV only: a KV miss is a signed-out user.
    KvOnly,
}

/// What happened to the auth module, for the summary, the JSON report and hover.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Wiring {
    /// Nothing to wire: KV sessions are off, and the module holds nothing of quickback-kv's.
    #[default]
    Off,
    /// KV sessions are off; the pieces an earlier run inserted are removed.
    Removed {
        path: String,
        /// Where a problem with the removal is reported (the file's start).
        at: Span,
    },
    /// KV sessions are on but there is no file at the module path.
    NoModule { path: String },
    /// The module's `betterAuth` call (the span of its callee) keeps sessions in KV.
    Wired { path: String, at: Span },
    /// The module could not be edited safely; a warning at `at` says what to add.
    NotWired { path: String, at: Span },
}

/// The texts the wiring inserts: one place, so the wired form changes here alone.
/// They are the form the adapter's real-tool tests type-check against Better Auth
/// 1.4–1.7 (README, "Wiring sessions into the app"); the adapter template must
/// export the names used here.
pub mod pieces {
    /// The adapter's exports the module uses.
    pub const STORAGE_FUNCTION: &str = "kvSecondaryStorage";
    pub const VERIFICATION_OPTIONS: &str = "KV_VERIFICATION_OPTIONS";
    pub const WHY_SESSIONS: &str = "sessions in Workers KV";
    pub const WHY_RATE_LIMIT: &str =
        "rate limits stay in isolate memory, where they were before secondaryStorage";
    pub const WHY_VERIFICATION: &str = "single-use tokens consumed from the database, not KV";
    pub const WHY_SESSION_DATABASE: &str =
        "the database stays the source of truth for sessions; KV caches them";
    /// `session.storeSessionInDatabase`: Better Auth writes every session to the
    /// database too and reads it there on a KV miss (SPEC §3.4.1).
    pub const SESSION_KEY: &str = "storeSessionInDatabase";
    pub const SESSION_VALUE: &str = "true";
    /// Makes a KV miss a signed-out user even with `storeSessionInDatabase`.
    pub const PRESERVE_KEY: &str = "preserveSessionInDatabase";
    /// `rateLimit.storage`: where Better Auth counted before `secondaryStorage` existed.
    pub const RATE_LIMIT_KEY: &str = "storage";
    pub const RATE_LIMIT_VALUE: &str = "\"memory\"";
    /// The option `KV_VERIFICATION_OPTIONS` sets (on Better Auth 1.5+); an app that
    /// writes it itself keeps its choice.
    pub const VERIFICATION_KEY: &str = "storeInDatabase";

    /// The import line, without its marker.
    pub fn import(specifier_literal: &str) -> String {
        format!("import {{ {VERIFICATION_OPTIONS}, {STORAGE_FUNCTION} }} from {specifier_literal};")
    }

    /// The `secondaryStorage` value for an env parameter; `optional`: the function
    /// also runs without one (Quickback's `createAuth()` for its CLI).
    pub fn secondary_storage(env: &str, optional: bool) -> String {
        if optional {
            format!("{env} ? {STORAGE_FUNCTION}({env}) : undefined")
        } else {
            format!("{STORAGE_FUNCTION}({env})")
        }
    }

    /// The member merged into an app's `verification` object (first, so the app's own keys win).
    pub fn verification_spread() -> String {
        format!("...{VERIFICATION_OPTIONS}")
    }
}

/// Parameter types recognised as the Worker's env (Quickback's name, and the
/// alias `src/env.d.ts` also exports); a parameter called `env` comes next.
const ENV_TYPES: [&str; 2] = ["CloudflareBindings", "Env"];

/// A member of the wired form (`key: value` or `...expr`) and its marker's reason.
#[derive(Debug, Clone)]
struct Piece {
    code: String,
    why: &'static str,
}

impl Piece {
    fn property(key: &str, value: &str, why: &'static str) -> Piece {
        Piece {
            code: format!("{key}: {value}"),
            why,
        }
    }

    /// On its own line (the caller adds indentation and the line break).
    fn line(&self) -> String {
        format!("{}, // {MARKER}: {}", self.code, self.why)
    }

    /// Inside a one-line object.
    fn inline(&self) -> String {
        format!("{} /* {MARKER}: {} */", self.code, self.why)
    }
}

/// Where new members go in an object.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    First,
    Last,
}

/// The edited text, or `None` when the module needs no output at all.
#[derive(Debug)]
pub struct Outcome {
    pub text: Option<String>,
    pub wiring: Wiring,
    pub diagnostic: Option<Diagnostic>,
    /// Warnings that do not stop the wiring (`auth::preserve-session-in-database`).
    pub notes: Vec<Diagnostic>,
    /// Where the module kept sessions before this build.
    pub previous: SessionMode,
}

/// Wires (or unwires) the module `text`, registered as `file`.
///
/// A changed result is checked before it is returned: it must parse, and wiring
/// it again must change nothing. Otherwise the module is left untouched with a
/// warning, so no run can write a file that a later run would edit again.
pub fn wire(file: FileId, text: &str, settings: &Settings) -> Outcome {
    let mut outcome = wire_once(file, text, settings);
    if let (Some(edited), Wiring::Wired { at, .. } | Wiring::Removed { at, .. }) =
        (&outcome.text, &outcome.wiring)
        && edited != text
    {
        let at = *at;
        let again = wire_once(file, edited, settings);
        let stable = again.diagnostic.is_none()
            && again.text.as_deref().is_none_or(|t| t == edited.as_str());
        if !stable {
            outcome = Outcome {
                text: None,
                wiring: Wiring::NotWired {
                    path: settings.module_path.to_string(),
                    at,
                },
                diagnostic: Some(
                    Diagnostic::new(
                        Code::AuthCannotWire,
                        "the auth module could not be edited safely; sessions are not wired",
                        at,
                        "the edited module would not read back as wired (please report this file)",
                    )
                    .with_help(manual_help(settings, "env")),
                ),
                notes: Vec::new(),
                previous: outcome.previous,
            };
        }
    }
    outcome
}

fn wire_once(file: FileId, text: &str, settings: &Settings) -> Outcome {
    let path = settings.module_path.to_string();
    let has_marker = text.contains(MARKER);
    if !settings.kv_sessions && !has_marker {
        return Outcome {
            text: None,
            wiring: Wiring::Off,
            diagnostic: None,
            notes: Vec::new(),
            previous: SessionMode::Database,
        };
    }
    let help = manual_help(settings, "env");
    let module = match auth_module::read(file, settings.module_path, text) {
        Ok(module) => module,
        Err(unreadable) => {
            let diagnostic = Diagnostic::new(
                Code::AuthInvalidModule,
                format!("{path} cannot be read as TypeScript; sessions are not wired into it"),
                unreadable.span,
                unreadable.message,
            )
            .with_help(if settings.kv_sessions {
                format!("fix the file and build again, or {help}")
            } else {
                format!(
                    "fix the file and build again, or remove the lines marked `{MARKER}` by hand"
                )
            });
            return Outcome {
                text: None,
                wiring: Wiring::NotWired {
                    path,
                    at: unreadable.span,
                },
                diagnostic: Some(diagnostic),
                notes: Vec::new(),
                previous: SessionMode::Database,
            };
        }
    };
    let editor = Editor::new(file, text);
    let previous = editor.session_mode(&module);
    let notes = editor.preserve_warnings(&module, settings);
    let mut outcome = edit(editor, &module, settings);
    outcome.previous = previous;
    if settings.kv_sessions {
        outcome.notes = notes;
    }
    outcome
}

/// Plans and applies the edits on a module that parsed.
fn edit(mut editor: Editor, module: &AuthModule, settings: &Settings) -> Outcome {
    let path = settings.module_path.to_string();
    let file = editor.file;
    let result = if settings.kv_sessions {
        editor.wire(module, settings).map(|at| Wiring::Wired {
            path: path.clone(),
            at,
        })
    } else {
        editor.unwire(module);
        Ok(Wiring::Removed {
            path: path.clone(),
            at: Span::file_start(file),
        })
    };
    let env_name = editor.env_name.clone();
    let (wiring, edited) = match result {
        Ok(Wiring::Removed { .. }) if editor.edits.is_empty() => {
            return Outcome {
                text: None,
                wiring: Wiring::Off,
                diagnostic: None,
                notes: Vec::new(),
                previous: SessionMode::Database,
            };
        }
        Ok(wiring) => match editor.apply() {
            Some(edited) => (wiring, edited),
            None => {
                let at = match &wiring {
                    Wiring::Wired { at, .. } => *at,
                    _ => Span::file_start(file),
                };
                return refused(
                    settings,
                    &env_name,
                    refuse(
                        at,
                        "the auth module could not be edited safely; sessions are not wired",
                        "two edits would overlap here (please report this file)",
                    ),
                );
            }
        },
        Err(refusal) => return refused(settings, &env_name, refusal),
    };
    Outcome {
        text: Some(edited),
        wiring,
        diagnostic: None,
        notes: Vec::new(),
        previous: SessionMode::Database,
    }
}

fn refused(settings: &Settings, env_name: &Option<String>, refusal: Refusal) -> Outcome {
    let Refusal { at, message, label } = refusal;
    let help = manual_help(settings, env_name.as_deref().unwrap_or("env"));
    Outcome {
        text: None,
        wiring: Wiring::NotWired {
            path: settings.module_path.to_string(),
            at,
        },
        diagnostic: Some(Diagnostic::new(Code::AuthCannotWire, message, at, label).with_help(help)),
        notes: Vec::new(),
        previous: SessionMode::Database,
    }
}

/// The help of a refusal: the lines the compiler would have added.
fn manual_help(settings: &Settings, env: &str) -> String {
    let import = pieces::import(&ts::string_literal(&import_specifier(
        settings.module_path,
        settings.adapter_path,
    )));
    let session = if settings.kv_only {
        String::new()
    } else {
        format!(
            "\n    session: {{ …, {}: {} }},",
            pieces::SESSION_KEY,
            pieces::SESSION_VALUE
        )
    };
    format!(
        "wire it by hand, keeping the app's own options:\n  {import}\n  betterAuth({{\n    …,\n    rateLimit: {{ …, {}: {} }},\n    secondaryStorage: {},{session}\n    verification: {{ {}, … }},\n  }})",
        pieces::RATE_LIMIT_KEY,
        pieces::RATE_LIMIT_VALUE,
        pieces::secondary_storage(env, true),
        pieces::verification_spread(),
    )
}

/// The module specifier of the adapter as seen from the auth module:
/// relative, `/`-separated, without the `.ts` extension (`./kv-session-storage`).
pub fn import_specifier(module_path: &str, adapter_path: &str) -> String {
    let from = segments(module_path);
    let to = segments(adapter_path);
    let from_dir = &from[..from.len().saturating_sub(1)];
    let common = from_dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from_dir.len() - common];
    parts.extend(to[common..].iter().map(|s| s.to_string()));
    let mut specifier = parts.join("/");
    for (ext, replacement) in [
        (".d.ts", ""),
        (".tsx", ""),
        (".ts", ""),
        (".mts", ".mjs"),
        (".cts", ".cjs"),
    ] {
        if let Some(stem) = specifier.strip_suffix(ext) {
            specifier = format!("{stem}{replacement}");
            break;
        }
    }
    if specifier.starts_with("../") {
        specifier
    } else {
        format!("./{specifier}")
    }
}

/// A relative path's segments with `.` dropped and `dir/..` folded
/// (`src/lib/../lib/auth.ts` is `src/lib/auth.ts`); a leading `..` stays.
fn segments(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." if out.last().is_some_and(|s| *s != "..") => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out
}

/// Why a module is left alone: where, what, and the label's reason.
struct Refusal {
    at: Span,
    message: String,
    label: String,
}

fn refuse(at: Span, message: impl Into<String>, label: impl Into<String>) -> Refusal {
    Refusal {
        at,
        message: message.into(),
        label: label.into(),
    }
}

/// A marked piece found in the text: its start, where its marker comment ends,
/// and whether it sits on its own line.
#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    own_line: bool,
}

#[derive(Debug, Clone)]
struct Splice {
    start: usize,
    end: usize,
    text: String,
}

struct Editor<'t> {
    file: FileId,
    text: &'t str,
    eol: &'static str,
    edits: Vec<Splice>,
    /// The env parameter's name once found, for the help of a later refusal.
    env_name: Option<String>,
}

impl<'t> Editor<'t> {
    fn new(file: FileId, text: &'t str) -> Editor<'t> {
        // The file's line ending: the first one it uses.
        let eol = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            _ => "\n",
        };
        Editor {
            file,
            text,
            eol,
            edits: Vec::new(),
            env_name: None,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start as u32, end as u32)
    }

    fn splice(&mut self, start: usize, end: usize, text: String) {
        if self.text.get(start..end) != Some(text.as_str()) {
            self.edits.push(Splice { start, end, text });
        }
    }

    /// Applies the splices back to front. They never overlap: each touches one
    /// piece or inserts at a point outside every piece.
    /// The text with every splice applied, in one pass in file order (so many
    /// splices cost no more than copying the text once). `None` if two overlap
    /// or one is not on character boundaries: a bug, which the caller refuses
    /// rather than write a guess. Insertions at one point keep their order.
    fn apply(mut self) -> Option<String> {
        self.edits.sort_by_key(|e| (e.start, e.end));
        let text = self.text;
        let mut out = String::with_capacity(
            text.len() + self.edits.iter().map(|e| e.text.len()).sum::<usize>(),
        );
        let mut copied = 0;
        for edit in &self.edits {
            if edit.start < copied || edit.start > edit.end {
                return None;
            }
            out.push_str(text.get(copied..edit.start)?);
            text.get(edit.start..edit.end)?;
            out.push_str(&edit.text);
            copied = edit.end;
        }
        out.push_str(text.get(copied..)?);
        Some(out)
    }

    /// The one `betterAuth({ … })` call, wired; its callee's span.
    fn wire(&mut self, module: &AuthModule, settings: &Settings) -> Result<Span, Refusal> {
        let file_start = self.span(0, 0);
        let call = match module.calls.as_slice() {
            [] => {
                return Err(refuse(
                    file_start,
                    format!(
                        "{} has no `betterAuth({{ … }})` call; sessions are not wired",
                        settings.module_path
                    ),
                    "no call of `betterAuth` imported from \"better-auth\" in this file",
                ));
            }
            [call] => call,
            [_, second, ..] => {
                return Err(refuse(
                    second.callee,
                    format!(
                        "{} calls `betterAuth` more than once; sessions are not wired",
                        settings.module_path
                    ),
                    "a second call: the compiler cannot tell which one the app uses",
                ));
            }
        };
        let options = match &call.options {
            OptionsArg::Object(o) => o,
            OptionsArg::Missing => {
                return Err(refuse(
                    call.callee,
                    "`betterAuth` is called without options; sessions are not wired",
                    "no options object to add `secondaryStorage` to",
                ));
            }
            OptionsArg::Other(span) => {
                return Err(refuse(
                    *span,
                    "the options of `betterAuth` are not an object literal; sessions are not wired",
                    "the compiler cannot see or edit what this object holds",
                ));
            }
        };
        let env = self.env(module, call)?;
        self.env_name = Some(env.0.clone());

        // What the options already hold.
        let groups = ["secondaryStorage", "rateLimit", "session", "verification"];
        check_members(options, &groups)?;
        let mut plan: Vec<Action> = Vec::new();

        // rateLimit.storage: merged as the last member of the app's object, or a new member.
        let storage = Piece::property(
            pieces::RATE_LIMIT_KEY,
            pieces::RATE_LIMIT_VALUE,
            pieces::WHY_RATE_LIMIT,
        );
        let whole = Piece::property(
            "rateLimit",
            &format!("{{ {} }}", storage.code),
            pieces::WHY_RATE_LIMIT,
        );
        match self.group(options, "rateLimit")? {
            Group::Absent => plan.push(Action::Insert(options, whole, Place::Last)),
            Group::Ours(found) => plan.push(Action::Update(found, whole)),
            Group::Apps(inner) => {
                // A spread could set `storage`, and ours would then override the app's.
                check_members(inner, &[pieces::RATE_LIMIT_KEY])?;
                self.merge(
                    inner,
                    pieces::RATE_LIMIT_KEY,
                    storage,
                    Place::Last,
                    &mut plan,
                );
            }
        }

        // secondaryStorage
        let secondary = Piece::property(
            "secondaryStorage",
            &pieces::secondary_storage(&env.0, env.1),
            pieces::WHY_SESSIONS,
        );
        match self.property(options, "secondaryStorage") {
            None => plan.push(Action::Insert(options, secondary, Place::Last)),
            Some((_, Some(found))) => plan.push(Action::Update(found, secondary)),
            Some((member, None)) => {
                return Err(refuse(
                    member.span,
                    "`secondaryStorage` is already set; sessions are not wired",
                    "set by the app, not by quickback-kv: it is left as written",
                ));
            }
        }

        // session.storeSessionInDatabase (SPEC §3.4.1): the database stays the source
        // of truth and KV caches sessions, unless the config opts in to KV-only sessions.
        let keep_rows = Piece::property(
            pieces::SESSION_KEY,
            pieces::SESSION_VALUE,
            pieces::WHY_SESSION_DATABASE,
        );
        let whole = Piece::property(
            "session",
            &format!("{{ {} }}", keep_rows.code),
            pieces::WHY_SESSION_DATABASE,
        );
        match self.group(options, "session")? {
            Group::Absent if settings.kv_only => {}
            Group::Absent => plan.push(Action::Insert(options, whole, Place::Last)),
            Group::Ours(found) if settings.kv_only => self.remove(found),
            Group::Ours(found) => plan.push(Action::Update(found, whole)),
            Group::Apps(inner) => {
                // A spread could set either key, and ours would then override the app's.
                check_members(inner, &[pieces::SESSION_KEY, pieces::PRESERVE_KEY])?;
                if settings.kv_only {
                    for (_, found) in self.marked(inner) {
                        self.remove(found);
                    }
                } else {
                    self.merge(
                        inner,
                        pieces::SESSION_KEY,
                        keep_rows,
                        Place::Last,
                        &mut plan,
                    );
                }
            }
        }

        // verification: the adapter's options spread first into the app's object, or a new member.
        let spread = Piece {
            code: pieces::verification_spread(),
            why: pieces::WHY_VERIFICATION,
        };
        let whole = Piece::property(
            "verification",
            &format!("{{ {} }}", spread.code),
            pieces::WHY_VERIFICATION,
        );
        match self.group(options, "verification")? {
            Group::Absent => plan.push(Action::Insert(options, whole, Place::Last)),
            Group::Ours(found) => plan.push(Action::Update(found, whole)),
            // Ours goes first, so whatever the app writes in it wins: nothing to refuse.
            Group::Apps(inner) => self.merge(
                inner,
                pieces::VERIFICATION_KEY,
                spread,
                Place::First,
                &mut plan,
            ),
        }

        for (key, found) in self.marked(options) {
            if !key.as_deref().is_some_and(|k| groups.contains(&k)) {
                self.remove(found);
            }
        }
        self.apply_plan(plan);
        self.wire_import(module, settings)?;
        Ok(call.callee)
    }

    /// Where the module keeps sessions: in KV when quickback-kv's `secondaryStorage`
    /// is there, cached in front of the database when `session.storeSessionInDatabase`
    /// is `true` beside it (the compiler's or the app's own).
    fn session_mode(&self, module: &AuthModule) -> SessionMode {
        let Some(options) = first_options(module) else {
            return SessionMode::Database;
        };
        if !matches!(
            self.property(options, "secondaryStorage"),
            Some((_, Some(_)))
        ) {
            return SessionMode::Database;
        }
        let cached = match self.property(options, "session") {
            Some((_, Some(_))) => true,
            Some((member, None)) => match &member.kind {
                MemberKind::Property {
                    value: Value::Object(inner),
                    ..
                } => self
                    .property(inner, pieces::SESSION_KEY)
                    .is_some_and(|(m, _)| self.value_text(m) == Some(pieces::SESSION_VALUE)),
                _ => false,
            },
            None => false,
        };
        if cached {
            SessionMode::Cached
        } else {
            SessionMode::KvOnly
        }
    }

    /// The value of a `key: value` member as written.
    fn value_text(&self, member: &Member) -> Option<&'t str> {
        match &member.kind {
            MemberKind::Property {
                value: Value::Other(span),
                ..
            } => self.text.get(span.start as usize..span.end as usize),
            _ => None,
        }
    }

    /// `auth::preserve-session-in-database` for the app's own `session.preserveSessionInDatabase`.
    fn preserve_warnings(&self, module: &AuthModule, settings: &Settings) -> Vec<Diagnostic> {
        let Some(options) = first_options(module) else {
            return Vec::new();
        };
        let Some((
            Member {
                kind:
                    MemberKind::Property {
                        value: Value::Object(inner),
                        ..
                    },
                ..
            },
            None,
        )) = self.property(options, "session")
        else {
            return Vec::new();
        };
        inner
            .members
            .iter()
            .filter(|m| matches!(&m.kind, MemberKind::Property { key, .. } if key == pieces::PRESERVE_KEY))
            .filter(|m| self.value_text(m) != Some("false"))
            .map(|m| {
                Diagnostic::new(
                    Code::AuthPreserveSessionInDatabase,
                    format!(
                        "`{}` makes a KV miss a signed-out user",
                        pieces::PRESERVE_KEY
                    ),
                    m.span,
                    "with it Better Auth does not read a session from the database when KV lacks it",
                )
                .with_help(format!(
                    "remove it from {}: quickback-kv sets `{}: true`, which keeps each session's database row; with `{}` the users signed in before KV sessions are signed out",
                    settings.module_path,
                    pieces::SESSION_KEY,
                    pieces::PRESERVE_KEY
                ))
            })
            .collect()
    }

    /// An option holding an object the wiring merges into.
    fn group<'o>(&self, options: &'o ObjectLit, key: &str) -> Result<Group<'o>, Refusal> {
        Ok(match self.property(options, key) {
            None => Group::Absent,
            Some((_, Some(found))) => Group::Ours(found),
            Some((member, None)) => match &member.kind {
                MemberKind::Property {
                    value: Value::Object(inner),
                    ..
                } => Group::Apps(inner),
                _ => {
                    return Err(refuse(
                        member.span,
                        format!("`{key}` is not an object literal; sessions are not wired"),
                        "the compiler cannot merge its option into this value",
                    ));
                }
            },
        })
    }

    /// Merges `piece` into the app's object unless the app sets `app_key` itself;
    /// other marked members inside are stale.
    fn merge<'o>(
        &mut self,
        inner: &'o ObjectLit,
        app_key: &str,
        piece: Piece,
        place: Place,
        plan: &mut Vec<Action<'o>>,
    ) {
        let apps_own = inner.members.iter().any(|m| match &m.kind {
            MemberKind::Property { key, .. } => {
                key == app_key && self.marker_after(m.span).is_none()
            }
            _ => false,
        });
        let ours: Vec<Found> = self.marked(inner).into_iter().map(|(_, f)| f).collect();
        let keep = match ours.first() {
            Some(found) if !apps_own => {
                plan.push(Action::Update(*found, piece));
                1
            }
            None if !apps_own => {
                plan.push(Action::Insert(inner, piece, place));
                0
            }
            _ => 0,
        };
        for stale in ours.into_iter().skip(keep) {
            self.remove(stale);
        }
    }

    fn apply_plan(&mut self, plan: Vec<Action>) {
        // Insertions into one object go in together, in plan order.
        let mut inserts: Vec<(&ObjectLit, Place, Vec<Piece>)> = Vec::new();
        for action in plan {
            match action {
                Action::Update(found, piece) => self.update(found, &piece),
                Action::Insert(object, piece, place) => {
                    match inserts.iter_mut().find(|(o, _, _)| o.span == object.span) {
                        Some((_, _, pieces)) => pieces.push(piece),
                        None => inserts.push((object, place, vec![piece])),
                    }
                }
            }
        }
        for (object, place, pieces) in inserts {
            self.insert(object, place, &pieces);
        }
    }

    /// The Worker's env in scope of the call, and whether it may be missing.
    fn env(&self, module: &AuthModule, call: &BetterAuthCall) -> Result<(String, bool), Refusal> {
        let (name, optional, depth) = self.env_binding(module, call)?;
        // A `const env = …` in a function between the binding and the call shadows it
        // (issue 17.1): the call would get another value. Refused, never guessed.
        let shadow = call
            .declared
            .iter()
            .take(depth)
            .flatten()
            .find(|(n, _)| *n == name);
        if let Some((_, at)) = shadow {
            return Err(refuse(
                *at,
                format!("`{name}` is declared again inside the function; sessions are not wired"),
                format!("this hides the Worker's `{name}` from `betterAuth`"),
            ));
        }
        Ok((name, optional))
    }

    /// The env binding and how many enclosing function bodies (innermost first)
    /// lie between it and the call, its own included.
    fn env_binding(
        &self,
        module: &AuthModule,
        call: &BetterAuthCall,
    ) -> Result<(String, bool, usize), Refusal> {
        for (depth, params) in call.scopes.iter().enumerate() {
            let typed = params.iter().find(|p| {
                p.name.is_some()
                    && p.type_name
                        .as_deref()
                        .is_some_and(|t| ENV_TYPES.contains(&t))
            });
            let named = params.iter().find(|p| p.name.as_deref() == Some("env"));
            if let Some(param) = typed.or(named)
                && let Some(name) = &param.name
            {
                return Ok((name.clone(), param.optional, depth + 1));
            }
        }
        if let Some(env) = &module.workers_env {
            return Ok((env.clone(), false, call.scopes.len()));
        }
        Err(refuse(
            call.callee,
            "no Worker env is in scope of `betterAuth`; sessions are not wired",
            "the KV binding lives on the env, and no enclosing function takes one",
        ))
    }

    /// The member with this key, and its marker when it is quickback-kv's.
    fn property<'o>(
        &self,
        object: &'o ObjectLit,
        key: &str,
    ) -> Option<(&'o Member, Option<Found>)> {
        let member = object
            .members
            .iter()
            .find(|m| matches!(&m.kind, MemberKind::Property { key: k, .. } if k == key))?;
        Some((member, self.marker_after(member.span)))
    }

    /// Every marked member of an object, with its key (`None`: a spread).
    fn marked(&self, object: &ObjectLit) -> Vec<(Option<String>, Found)> {
        object
            .members
            .iter()
            .filter_map(|m| {
                let key = match &m.kind {
                    MemberKind::Property { key, .. } => Some(key.clone()),
                    MemberKind::Spread => None,
                    MemberKind::Opaque { .. } => return None,
                };
                self.marker_after(m.span).map(|f| (key, f))
            })
            .collect()
    }

    /// A marker comment after `span` on the same line (after at most a comma):
    /// the piece from `span.start` to the end of that comment.
    fn marker_after(&self, span: Span) -> Option<Found> {
        let bytes = self.text.as_bytes();
        let mut i = span.end as usize;
        let skip_blanks = |mut i: usize| {
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            i
        };
        i = skip_blanks(i);
        if bytes.get(i) == Some(&b',') {
            i = skip_blanks(i + 1);
        }
        let rest = self.text.get(i..)?;
        let end = if let Some(body) = rest.strip_prefix("//") {
            if !body.trim_start_matches([' ', '\t']).starts_with(MARKER) {
                return None;
            }
            i + line_content_len(rest)
        } else if let Some(body) = rest.strip_prefix("/*") {
            if !body.trim_start_matches([' ', '\t']).starts_with(MARKER) {
                return None;
            }
            let close = body.find("*/")?;
            if body[..close].contains('\n') {
                return None;
            }
            i + 2 + close + 2
        } else {
            return None;
        };
        let start = span.start as usize;
        // Both checks stop at the first non-blank byte, so a long line of many
        // inline pieces costs no more than reading it once.
        let blank_before = bytes[..start]
            .iter()
            .rev()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_none_or(|b| *b == b'\n');
        let blank_after = bytes[end..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_none_or(|b| matches!(b, b'\r' | b'\n'));
        let own_line = blank_before && blank_after;
        Some(Found {
            start,
            end,
            own_line,
        })
    }

    fn update(&mut self, found: Found, piece: &Piece) {
        let text = if found.own_line
            || self.text[found.start..found.end].contains(&format!("// {MARKER}"))
        {
            piece.line()
        } else {
            piece.inline()
        };
        self.splice(found.start, found.end, text);
    }

    fn remove(&mut self, found: Found) {
        let text = self.text;
        let bytes = text.as_bytes();
        if found.own_line {
            // From the line break before the piece's line to the end of its content:
            // the exact inverse of inserting `eol + piece` after a line, or
            // `piece + eol` before one.
            let line_start = line_start(text, found.start);
            let start = match line_start {
                0 => 0,
                n if n >= 2 && bytes.get(n - 2) == Some(&b'\r') => n - 2,
                n => n - 1,
            };
            let end = if line_start == 0 {
                found.end + line_break_len(&text[found.end..])
            } else {
                found.end
            };
            self.splice(start, end, String::new());
            return;
        }
        let mut end = found.end;
        let mut after = end;
        while matches!(bytes.get(after), Some(b' ' | b'\t')) {
            after += 1;
        }
        if bytes.get(after) == Some(&b',') {
            // `piece, next`: drop the piece, its comma and the blanks after it.
            end = after + 1;
            while matches!(bytes.get(end), Some(b' ' | b'\t')) {
                end += 1;
            }
            self.splice(found.start, end, String::new());
            return;
        }
        let mut before = found.start;
        while before > 0 && matches!(bytes.get(before - 1), Some(b' ' | b'\t')) {
            before -= 1;
        }
        match bytes.get(before.wrapping_sub(1)) {
            // `{ piece }`: back to `{}`.
            Some(b'{') if bytes.get(after) == Some(&b'}') => {
                self.splice(before, after, String::new())
            }
            // `prev, piece }`: drop the comma before it.
            Some(b',') => self.splice(before - 1, end, String::new()),
            _ => self.splice(found.start, end, String::new()),
        }
    }

    /// Inserts pieces into an object. `Place::Last`: as lines after its last
    /// member when that ends with a comma and the object spans lines. Otherwise
    /// (and for `Place::First`) as lines before its first member when that starts
    /// a line, else inline. Never touching a neighbour (no comma is added) keeps
    /// removal the exact inverse: the file comes back byte for byte.
    fn insert(&mut self, object: &ObjectLit, place: Place, pieces: &[Piece]) {
        let text = self.text;
        let bytes = text.as_bytes();
        let open = object.span.start as usize;
        let close = (object.span.end as usize).saturating_sub(1);
        if let Some(last) = object.members.last().filter(|_| place == Place::Last) {
            let last_start = last.span.start as usize;
            let mut i = last.span.end as usize;
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            let line_end = i + line_content_len(&text[i..]);
            let rest_of_line = text[i..line_end].trim_end_matches([' ', '\t']);
            let comma_then_comment = rest_of_line
                .strip_prefix(',')
                .map(|r| r.trim_start_matches([' ', '\t']))
                .is_some_and(|r| {
                    r.is_empty()
                        || r.starts_with("//")
                        || (r.starts_with("/*") && r.ends_with("*/"))
                });
            if comma_then_comment && line_end < close && first_on_line(text, last_start) {
                let indent = indentation(text, last_start);
                let mut insert = String::new();
                for piece in pieces {
                    insert.push_str(self.eol);
                    insert.push_str(indent);
                    insert.push_str(&piece.line());
                }
                self.edits.push(Splice {
                    start: line_end,
                    end: line_end,
                    text: insert,
                });
                return;
            }
        }
        if let Some(first) = object.members.first() {
            let first_start = first.span.start as usize;
            if first_on_line(text, first_start) && line_start(text, first_start) > open {
                let indent = indentation(text, first_start);
                let mut insert = String::new();
                for piece in pieces {
                    insert.push_str(indent);
                    insert.push_str(&piece.line());
                    insert.push_str(self.eol);
                }
                let at = line_start(text, first_start);
                self.edits.push(Splice {
                    start: at,
                    end: at,
                    text: insert,
                });
                return;
            }
            let insert: String = pieces.iter().map(|p| format!("{}, ", p.inline())).collect();
            self.edits.push(Splice {
                start: first_start,
                end: first_start,
                text: insert,
            });
            return;
        }
        // An empty object: `{}` becomes `{ piece }`, `{\n}` becomes `{ piece \n}`: the
        // object's own bytes stay, so `remove_whole` gives them back exactly.
        let inner: Vec<String> = pieces.iter().map(Piece::inline).collect();
        self.edits.push(Splice {
            start: open + 1,
            end: open + 1,
            text: format!(" {} ", inner.join(", ")),
        });
    }

    /// The adapter import: updated when marked, else added after the last import.
    fn wire_import(&mut self, module: &AuthModule, settings: &Settings) -> Result<(), Refusal> {
        let specifier = import_specifier(settings.module_path, settings.adapter_path);
        let wanted = format!(
            "{} // {MARKER}: {}",
            pieces::import(&ts::string_literal(&specifier)),
            pieces::WHY_SESSIONS
        );
        let mut ours = Vec::new();
        for import in &module.imports {
            match self.marker_after(import.span) {
                Some(found) => ours.push(found),
                None if import.locals.iter().any(|l| l == pieces::STORAGE_FUNCTION) => {
                    return Err(refuse(
                        import.span,
                        format!(
                            "`{}` is already imported; sessions are not wired",
                            pieces::STORAGE_FUNCTION
                        ),
                        "imported by the app, not by quickback-kv",
                    ));
                }
                None => {}
            }
        }
        match ours.split_first() {
            Some((first, rest)) => {
                self.splice(first.start, first.end, wanted);
                for extra in rest {
                    self.remove(*extra);
                }
            }
            None => {
                let Some(last) = module.imports.last() else {
                    return Ok(());
                };
                let end = last.span.end as usize;
                let line_end = end + line_content_len(&self.text[end..]);
                self.edits.push(Splice {
                    start: line_end,
                    end: line_end,
                    text: format!("{}{wanted}", self.eol),
                });
            }
        }
        Ok(())
    }

    /// Removes every marked piece: the import and the properties of every call's options.
    fn unwire(&mut self, module: &AuthModule) {
        for import in &module.imports {
            if let Some(found) = self.marker_after(import.span) {
                self.remove(found);
            }
        }
        for call in &module.calls {
            let OptionsArg::Object(options) = &call.options else {
                continue;
            };
            if self.remove_whole(options) {
                continue;
            }
            for member in &options.members {
                if let Some(found) = self.marker_after(member.span) {
                    self.remove(found);
                } else if let MemberKind::Property {
                    value: Value::Object(inner),
                    ..
                } = &member.kind
                    && !self.remove_whole(inner)
                {
                    for (_, found) in self.marked(inner) {
                        self.remove(found);
                    }
                }
            }
        }
    }

    /// An object holding nothing but inline pieces (`{ a /* quickback-kv */, b … }`),
    /// all inserted into an empty object: the inverse of that insertion, one splice
    /// from after `{` through the blank after the last piece. `false` otherwise.
    fn remove_whole(&mut self, object: &ObjectLit) -> bool {
        let marked = self.marked(object);
        let (Some((_, first)), Some((_, last))) = (marked.first(), marked.last()) else {
            return false;
        };
        let open = object.span.start as usize + 1;
        let bytes = self.text.as_bytes();
        let all_inline =
            marked.len() == object.members.len() && marked.iter().all(|(_, f)| !f.own_line);
        if !all_inline || bytes.get(open) != Some(&b' ') || first.start != open + 1 {
            return false;
        }
        if bytes.get(last.end) != Some(&b' ') {
            return false;
        }
        self.splice(open, last.end + 1, String::new());
        true
    }
}

enum Action<'o> {
    Insert(&'o ObjectLit, Piece, Place),
    Update(Found, Piece),
}

enum Group<'o> {
    Absent,
    /// The whole option is a marked piece.
    Ours(Found),
    /// The app's own object literal.
    Apps(&'o ObjectLit),
}

/// Refuses an object whose members could hide one of `keys`: a spread, a
/// computed key, a method or accessor with such a key, or a key written twice.
fn check_members(object: &ObjectLit, keys: &[&str]) -> Result<(), Refusal> {
    let mut seen: Vec<&str> = Vec::new();
    for member in &object.members {
        match &member.kind {
            MemberKind::Spread => {
                return Err(refuse(
                    member.span,
                    "a spread in the options of `betterAuth` hides what it sets; sessions are not wired",
                    format!(
                        "this may set {}",
                        keys.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            MemberKind::Opaque { key } if key.as_deref().is_none_or(|k| keys.contains(&k)) => {
                return Err(refuse(
                    member.span,
                    "a computed key or accessor in the options of `betterAuth`; sessions are not wired",
                    "the compiler cannot tell which option this sets",
                ));
            }
            MemberKind::Property { key, .. } if keys.contains(&key.as_str()) => {
                if seen.contains(&key.as_str()) {
                    return Err(refuse(
                        member.span,
                        format!(
                            "`{key}` is set twice in the options of `betterAuth`; sessions are not wired"
                        ),
                        "the later one wins, and the compiler will not guess which to edit",
                    ));
                }
                seen.push(key);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The options object of the module's first `betterAuth` call, when it is a literal.
fn first_options(module: &AuthModule) -> Option<&ObjectLit> {
    module.calls.iter().find_map(|c| match &c.options {
        OptionsArg::Object(o) => Some(o),
        _ => None,
    })
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Bytes up to the line break (`\r\n` or `\n`) or the end of the text.
fn line_content_len(text: &str) -> usize {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => i - 1,
        Some(i) => i,
        None => text.len(),
    }
}

fn line_break_len(text: &str) -> usize {
    if text.starts_with("\r\n") {
        2
    } else if text.starts_with('\n') {
        1
    } else {
        0
    }
}

fn first_on_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at]
        .trim_matches([' ', '\t'])
        .is_empty()
}

fn indentation(text: &str, at: usize) -> &str {
    &text[line_start(text, at)..at]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_specifiers_are_relative_without_extension() {
        assert_eq!(
            import_specifier("src/lib/auth.ts", "src/lib/kv-session-storage.ts"),
            "./kv-session-storage"
        );
        assert_eq!(import_specifier("src/lib/auth.ts", "src/kv.ts"), "../kv");
        assert_eq!(
            import_specifier("src/lib/auth.ts", "lib/x/kv.mts"),
            "../../lib/x/kv.mjs"
        );
        assert_eq!(import_specifier("auth.ts", "src/kv.ts"), "./src/kv");
        assert_eq!(import_specifier("./src/auth.ts", "src/a/kv.ts"), "./a/kv");
        // Issue 17.1: `--auth-module src/lib/../lib/auth.ts` imports what resolves.
        assert_eq!(
            import_specifier("src/lib/../lib/auth.ts", "src/lib/kv-session-storage.ts"),
            "./kv-session-storage"
        );
        assert_eq!(
            import_specifier("src/lib/auth.ts", "src/x/../lib/./kv.ts"),
            "./kv"
        );
    }

    fn run(text: &str, on: bool) -> Outcome {
        wire(
            FileId(0),
            text,
            &Settings {
                module_path: "src/lib/auth.ts",
                adapter_path: "src/lib/kv-session-storage.ts",
                kv_sessions: on,
                kv_only: false,
            },
        )
    }

    const BASE: &str = "import { betterAuth } from \"better-auth\";\n\nexport function createAuth(env: Env) {\n  return betterAuth({\n    secret: \"s\",\n    rateLimit: { enabled: true },\n    verification: {},\n  });\n}\n";

    #[test]
    fn wires_merges_and_unwires_to_the_same_bytes() {
        let wired = run(BASE, true);
        let text = wired.text.expect("wired");
        assert!(wired.diagnostic.is_none());
        assert_eq!(
            text,
            "import { betterAuth } from \"better-auth\";\nimport { KV_VERIFICATION_OPTIONS, kvSecondaryStorage } from \"./kv-session-storage\"; // quickback-kv: sessions in Workers KV\n\nexport function createAuth(env: Env) {\n  return betterAuth({\n    secret: \"s\",\n    rateLimit: { storage: \"memory\" /* quickback-kv: rate limits stay in isolate memory, where they were before secondaryStorage */, enabled: true },\n    verification: { ...KV_VERIFICATION_OPTIONS /* quickback-kv: single-use tokens consumed from the database, not KV */ },\n    secondaryStorage: kvSecondaryStorage(env), // quickback-kv: sessions in Workers KV\n    session: { storeSessionInDatabase: true }, // quickback-kv: the database stays the source of truth for sessions; KV caches them\n  });\n}\n"
        );
        assert_eq!(run(&text, true).text.as_deref(), Some(text.as_str()));
        assert_eq!(run(&text, false).text.as_deref(), Some(BASE));
        assert!(run(BASE, false).text.is_none());
    }

    #[test]
    fn crlf_and_no_trailing_comma() {
        let base = "import { betterAuth } from \"better-auth\";\r\nconst auth = (env?: Env) => betterAuth({\r\n\tsecret: \"s\"\r\n});\r\n";
        let text = run(base, true).text.expect("wired");
        assert!(text.contains("({\r\n\trateLimit: { storage: \"memory\" }, //"));
        assert!(text.contains("\r\n\tsecondaryStorage: env ? kvSecondaryStorage(env) : undefined, // quickback-kv: sessions in Workers KV\r\n\tsession: { storeSessionInDatabase: true }, // quickback-kv: the database stays the source of truth for sessions; KV caches them\r\n\tverification: { ...KV_VERIFICATION_OPTIONS }, //"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert_eq!(run(&text, false).text.as_deref(), Some(base));
    }

    #[test]
    fn refuses_what_it_cannot_see() {
        for text in [
            "import { betterAuth } from \"better-auth\";\nexport const f = (env: Env) => betterAuth({ ...opts });\n",
            "import { betterAuth } from \"better-auth\";\nexport const f = (env: Env) => betterAuth(opts);\n",
            "import { betterAuth } from \"better-auth\";\nexport const a = betterAuth({});\n",
            "import { betterAuth } from \"better-auth\";\nexport const f = (env: Env) => betterAuth({ secondaryStorage: x });\n",
            "import { betterAuth } from \"better-auth\";\nexport const f = (env: Env) => [betterAuth({}), betterAuth({})];\n",
            "export const a = 1;\n",
        ] {
            let outcome = run(text, true);
            assert!(outcome.text.is_none(), "{text}");
            assert_eq!(
                outcome.diagnostic.map(|d| d.code),
                Some(Code::AuthCannotWire),
                "{text}"
            );
        }
    }

    fn wired(text: &str) -> String {
        let outcome = run(text, true);
        assert!(outcome.diagnostic.is_none(), "{:?}", outcome.diagnostic);
        let wired = outcome.text.expect("wired");
        assert_eq!(
            run(&wired, false).text.as_deref(),
            Some(text),
            "unwiring restores the bytes"
        );
        wired
    }

    #[test]
    fn one_line_options_and_a_required_env() {
        let text = "import { betterAuth } from \"better-auth\";\nexport default { fetch(req: Request, env: Env) { return betterAuth({ database }).handler(req); } };\n";
        let wired = wired(text);
        assert!(wired.contains("betterAuth({ rateLimit: { storage: \"memory\" } /* quickback-kv: rate limits stay in isolate memory, where they were before secondaryStorage */, secondaryStorage: kvSecondaryStorage(env) /* quickback-kv: sessions in Workers KV */, session: { storeSessionInDatabase: true } /* quickback-kv: the database stays the source of truth for sessions; KV caches them */, verification: { ...KV_VERIFICATION_OPTIONS } /* quickback-kv: single-use tokens consumed from the database, not KV */, database })"), "{wired}");
    }

    #[test]
    fn the_apps_own_choices_stand() {
        let text = "import { betterAuth } from \"better-auth\";\nexport const make = (env?: Env) =>\n  betterAuth({\n    rateLimit: { storage: \"database\" },\n    verification: {\n      storeInDatabase: false,\n    },\n  });\n";
        let wired = wired(text);
        assert!(wired.contains("    rateLimit: { storage: \"database\" },\n    verification: {\n      storeInDatabase: false,\n    },\n    secondaryStorage: env ? kvSecondaryStorage(env) : undefined, // quickback-kv: sessions in Workers KV\n    session: { storeSessionInDatabase: true }, // quickback-kv: the database stays the source of truth for sessions; KV caches them\n  });"), "{wired}");
        // An app that writes its own `storage` next to ours: ours goes.
        let mixed = wired.replace(
            "rateLimit: { storage: \"database\" }",
            "rateLimit: {\n      storage: \"memory\", // quickback-kv: old\n      storage: \"database\",\n    }",
        );
        let outcome = run(&mixed, true);
        assert_eq!(
            outcome.diagnostic.map(|d| d.code),
            Some(Code::AuthCannotWire),
            "a key twice is refused"
        );
    }

    const SESSION_BASE: &str = "import { betterAuth } from \"better-auth\";\nexport function createAuth(env?: Env) {\n  return betterAuth({\n    session: {\n      expiresIn: 60,\n    },\n  });\n}\n";

    #[test]
    fn sessions_stay_rows_in_the_apps_own_session_object() {
        let wired = wired(SESSION_BASE);
        assert!(wired.contains("    session: {\n      expiresIn: 60,\n      storeSessionInDatabase: true, // quickback-kv: the database stays the source of truth for sessions; KV caches them\n    },"), "{wired}");
        assert_eq!(run(SESSION_BASE, true).previous, SessionMode::Database);
        assert_eq!(run(&wired, true).previous, SessionMode::Cached);
        assert!(!wired.contains("preserveSessionInDatabase"));
    }

    #[test]
    fn the_apps_own_store_session_in_database_is_kept() {
        for own in ["true", "false", "flag"] {
            let text = SESSION_BASE.replace(
                "expiresIn: 60,",
                &format!("expiresIn: 60,\n      storeSessionInDatabase: {own},"),
            );
            let wired = wired(&text);
            assert_eq!(
                wired.matches("storeSessionInDatabase").count(),
                1,
                "{wired}"
            );
            let mode = run(&wired, true).previous;
            let expected = if own == "true" {
                SessionMode::Cached
            } else {
                SessionMode::KvOnly
            };
            assert_eq!(mode, expected, "{own}");
        }
    }

    #[test]
    fn preserve_session_in_database_is_a_warning_pointing_at_it() {
        let text = SESSION_BASE.replace(
            "expiresIn: 60,",
            "expiresIn: 60,\n      preserveSessionInDatabase: true,",
        );
        let outcome = run(&text, true);
        assert!(outcome.diagnostic.is_none());
        let notes: Vec<_> = outcome.notes.iter().map(|d| d.code).collect();
        assert_eq!(notes, [Code::AuthPreserveSessionInDatabase]);
        let at = outcome.notes[0].labels[0].span;
        assert_eq!(
            &text[at.start as usize..at.end as usize],
            "preserveSessionInDatabase: true"
        );
        // Wired all the same (the database keeps the rows); off, nothing is said.
        assert!(
            outcome
                .text
                .is_some_and(|t| t.contains("storeSessionInDatabase: true"))
        );
        assert!(run(&text, false).notes.is_empty());
    }

    #[test]
    fn a_session_value_that_is_not_a_literal_is_refused_with_the_lines_to_add() {
        let text = SESSION_BASE.replace(
            "session: {\n      expiresIn: 60,\n    },",
            "session: sessionOptions,",
        );
        let outcome = run(&text, true);
        assert!(outcome.text.is_none());
        let d = outcome.diagnostic.expect("refused");
        assert_eq!(d.code, Code::AuthCannotWire);
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("session: { …, storeSessionInDatabase: true },")),
            "{:?}",
            d.help
        );
    }

    #[test]
    fn kv_only_sessions_leave_the_session_object_alone() {
        let settings = Settings {
            module_path: "src/lib/auth.ts",
            adapter_path: "src/lib/kv-session-storage.ts",
            kv_sessions: true,
            kv_only: true,
        };
        let cached = wired(SESSION_BASE);
        let kv_only = wire(FileId(0), &cached, &settings).text.expect("edited");
        assert!(!kv_only.contains("storeSessionInDatabase"), "{kv_only}");
        assert_eq!(
            wire(FileId(0), &kv_only, &settings).previous,
            SessionMode::KvOnly
        );
        assert_eq!(
            wire(FileId(0), SESSION_BASE, &settings).text.as_deref(),
            Some(kv_only.as_str())
        );
    }

    #[test]
    fn wiring_an_empty_options_object_is_undone_exactly() {
        for options in ["{}", "{\n}", "{ }", "{\n  }"] {
            let text = format!(
                "import {{ betterAuth }} from \"better-auth\";\nexport const f = (env: Env) => betterAuth({options});\n"
            );
            wired(&text);
        }
        let text = "import { betterAuth } from \"better-auth\";\nexport const f = (env: Env) => betterAuth({ verification: {\n}, rateLimit: {}, secret: \"s\" });\n";
        wired(text);
    }

    #[test]
    fn an_inner_env_shadowing_the_parameter_is_refused() {
        for text in [
            "import { betterAuth } from \"better-auth\";\nexport function f(env: Env) {\n  const env2 = 1;\n  if (x) {\n    const env = other;\n    return betterAuth({});\n  }\n}\n",
            "import { betterAuth } from \"better-auth\";\nexport function f(env?: Env) {\n  return () => {\n    let env = {};\n    return betterAuth({ secret: \"s\" });\n  };\n}\n",
        ] {
            let outcome = run(text, true);
            assert!(outcome.text.is_none(), "{text}");
            let d = outcome.diagnostic.expect("refused");
            assert_eq!(d.code, Code::AuthCannotWire);
            let at = d.labels[0].span;
            assert!(text[at.start as usize..].starts_with("env ="), "{text}");
        }
        // An env parameter of the inner function is the one used: no shadowing.
        let ok = "import { betterAuth } from \"better-auth\";\nexport function f(env: Env) {\n  return (env: Env) => betterAuth({});\n}\n";
        wired(ok);
    }

    #[test]
    fn a_multi_line_verification_gets_the_spread_first() {
        let text = "import { betterAuth } from \"better-auth\";\nimport { env } from \"cloudflare:workers\";\nexport const auth = betterAuth({\n  verification: {\n    expiresIn: 600, // ten minutes\n  },\n  rateLimit: {\n    enabled: true\n  },\n});\n";
        let wired = wired(text);
        assert!(wired.contains("  verification: {\n    ...KV_VERIFICATION_OPTIONS, // quickback-kv: single-use tokens consumed from the database, not KV\n    expiresIn: 600, // ten minutes\n  },"), "{wired}");
        assert!(wired.contains("  rateLimit: {\n    storage: \"memory\", // quickback-kv: rate limits stay in isolate memory, where they were before secondaryStorage\n    enabled: true\n  },"), "{wired}");
        assert!(
            wired.contains("  secondaryStorage: kvSecondaryStorage(env), //"),
            "{wired}"
        );
    }

    #[test]
    fn non_ascii_text_and_a_bom_keep_their_bytes() {
        let text = "\u{feff}// Ünïcödé — 認証\nimport { betterAuth } from \"better-auth\";\nconst é = \"😀\";\nexport function a(env: Env) {\n  return betterAuth({\n    appName: \"Café 😀\",\n  });\n}\n";
        let wired = wired(text);
        assert!(wired.starts_with("\u{feff}// Ünïcödé — 認証\n"));
        assert!(
            wired.contains("    appName: \"Café 😀\",\n    rateLimit: { storage: \"memory\" }, //"),
            "{wired}"
        );
    }

    #[test]
    fn no_prefix_of_a_module_panics_or_writes_what_does_not_read_back() {
        let text = "import { betterAuth } from \"better-auth\";\nimport type { E } from \"./env\";\nfunction createAuth(env?: E) {\n    return betterAuth({\n                secret: env?.S,\n        plugins: [x({ cb: async (u) => { return u; } })],\n        rateLimit: {\n            customRules: { \"/sign-in/email\": { window: 60, max: 5 } },\n        },\n        database: d(db, { provider: \"sqlite\" }),\n    });\n}\nexport const auth = createAuth();\n";
        let full = wired(text);
        for source in [text, full.as_str()] {
            for end in (0..=source.len()).filter(|i| source.is_char_boundary(*i)) {
                for on in [true, false] {
                    let outcome = run(&source[..end], on);
                    if let Some(edited) = outcome.text {
                        assert!(
                            auth_module::read(FileId(0), "a.ts", &edited).is_ok(),
                            "{edited}"
                        );
                    }
                }
            }
        }
    }
}

//! `src/lib/kv-session-storage.ts`: Better Auth's `SecondaryStorage` on KV.
//! The template holds the TypeScript; this module computes its constants.

use askama::Template;

use super::session_period::Period;
use super::{Header, ts};
use crate::better_auth_version::{self, Lookup};
use crate::model::{
    DEFAULT_KEY_PREFIX, DEFAULT_SESSION_EXPIRES_IN, DEFAULT_SESSION_UPDATE_AGE, KvModel,
};

#[derive(Template)]
#[template(path = "kv-session-storage.ts", escape = "none")]
struct SessionAdapter<'a> {
    config_path: &'a str,
    command: &'a str,
    /// A validated identifier.
    binding: &'a str,
    /// A complete TypeScript string literal: the configured prefix and the period's part.
    key_prefix: String,
    /// The session key period's record (`session_period::RECORD`).
    period_record: String,
    expires_in: u64,
    update_age: u64,
    /// `session.storeSessionInDatabase`: false only for KV-only sessions.
    store_in_database: bool,
    /// Header lines (without `// `) on what the installed Better Auth version means.
    version_notes: Vec<String>,
}

/// What the header says about the Better Auth version found (SPEC §3.4.1).
fn version_notes(lookup: &Lookup) -> Vec<String> {
    let Some(found) = lookup.found.as_ref().filter(|f| !f.range) else {
        let what = match &lookup.found {
            Some(f) => format!("only the range {} ({})", f.version, f.source),
            None => "no version".to_string(),
        };
        return vec![
            format!(
                "- Installed Better Auth: unknown ({what} was found when this file was generated);"
            ),
            "  check the points above against the version you deploy.".to_string(),
        ];
    };
    let mut notes = vec![format!(
        "- Installed Better Auth: {} (from {}).",
        found.version, found.source
    )];
    let Some(v) = better_auth_version::parse(&found.version) else {
        return notes;
    };
    let mut add = |applies: bool, text: &str| {
        if applies {
            notes.push(format!("  {text}"));
        }
    };
    add(
        ((1, 5, 0)..(1, 6, 11)).contains(&v),
        "It reads a verification token's KV copy before the database: a token used in one location may be accepted once more in another for about 60 s.",
    );
    add(
        v < (1, 7, 8),
        "Below 1.7.8: sessions made before KV are not listed and `revoke-other-sessions` misses them.",
    );
    add(
        v < (1, 7, 16),
        "Below 1.7.16: concurrent sign-ins of one user can escape `revoke-sessions`.",
    );
    add(
        v >= (1, 7, 20),
        "1.7.20+: two KV reads per authenticated request.",
    );
    notes
}

pub fn render(
    model: &KvModel,
    header: &Header,
    period: Period,
    better_auth: &Lookup,
) -> Result<Option<String>, askama::Error> {
    let Some(primary) = model.bindings.first() else {
        return Ok(None);
    };
    let session = model.session.as_ref();
    let binding = session.map_or(&primary.name.value, |s| &s.binding.value);
    SessionAdapter {
        config_path: &header.config_path,
        command: &header.command,
        binding,
        key_prefix: ts::string_literal(&format!(
            "{}{}",
            session.map_or(DEFAULT_KEY_PREFIX, |s| &s.key_prefix.value),
            period.key_part()
        )),
        period_record: period.record(),
        expires_in: session.map_or(DEFAULT_SESSION_EXPIRES_IN, |s| s.expires_in.value),
        update_age: session.map_or(DEFAULT_SESSION_UPDATE_AGE, |s| s.update_age.value),
        store_in_database: !model.kv_only_sessions(),
        // Versions and paths come from the app's files: sanitised for a line comment.
        version_notes: version_notes(better_auth)
            .iter()
            .map(|n| ts::comment_text(n))
            .collect(),
    }
    .render()
    .map(Some)
}

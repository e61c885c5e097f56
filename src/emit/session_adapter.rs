//! `src/lib/kv-session-storage.ts`: Better Auth's `SecondaryStorage` on KV.
//! The template holds the TypeScript; this module computes its constants.

use askama::Template;

use super::session_period::Period;
use super::{Header, ts};
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
}

pub fn render(
    model: &KvModel,
    header: &Header,
    period: Period,
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
    }
    .render()
    .map(Some)
}

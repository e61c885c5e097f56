//! The keys quickback-kv knows in each config object it reads, one table per
//! object, and the check that reports a misspelt key (`config::unknown-key`).
//! `explain config::unknown-key` and `docs/diagnostics.md` print the same tables,
//! so a new option is added here once.

use crate::diagnostics::{Code, Diagnostic, Edit};
use crate::eval::Object;
use crate::span::Span;

/// The keys of one kind of config object.
pub struct KnownKeys {
    /// How the object is written, for `explain`.
    pub object: &'static str,
    pub keys: &'static [&'static str],
    /// Every key of the object is quickback-kv's: any other key is reported. An
    /// object that also holds other tools' options (`defineAuth`, …) reports only
    /// near misses of its KV keys, never the other tools' own keys.
    pub complete: bool,
}

pub const STORAGE: KnownKeys = KnownKeys {
    object: "defineStorage(\"kv\", { … })",
    keys: &[
        "namespaceId",
        "binding",
        "previewId",
        "remote",
        "environments",
        "namespaces",
        "cache",
        "memoryKv",
    ],
    complete: true,
};

pub const NAMESPACE: KnownKeys = KnownKeys {
    object: "an entry of `namespaces: [ … ]`",
    keys: &[
        "binding",
        "namespaceId",
        "previewId",
        "remote",
        "environments",
        "cache",
    ],
    complete: true,
};

pub const CACHE: KnownKeys = KnownKeys {
    object: "cache: { … } on a KV namespace",
    keys: &["prefix", "defaultTtl"],
    complete: true,
};

pub const ENVIRONMENT: KnownKeys = KnownKeys {
    object: "an environment in `environments: { NAME: { … } }`",
    keys: &["namespaceId", "previewId"],
    complete: true,
};

pub const SESSION: KnownKeys = KnownKeys {
    object: "defineAuth(\"better-auth\", { session: { … } })",
    keys: &[
        "storage",
        "binding",
        "keyPrefix",
        "expiresIn",
        "expiresInDays",
        "updateAge",
        "updateAgeInDays",
        "kvOnly",
    ],
    complete: true,
};

pub const AUTH: KnownKeys = KnownKeys {
    object: "defineAuth(\"better-auth\", { … })",
    keys: &["kvId", "session"],
    complete: false,
};

pub const DATABASE: KnownKeys = KnownKeys {
    object: "defineDatabase(…, { … })",
    keys: &["kvNamespaceId"],
    complete: false,
};

pub const PROVIDERS: KnownKeys = KnownKeys {
    object: "providers: { … }",
    keys: &["storage", "auth", "database", "runtime"],
    complete: false,
};

pub const CONFIG: KnownKeys = KnownKeys {
    object: "defineConfig({ … })",
    keys: &["providers"],
    complete: false,
};

/// Every table, in the order `explain` prints them.
pub const ALL: &[&KnownKeys] = &[
    &CONFIG,
    &PROVIDERS,
    &STORAGE,
    &NAMESPACE,
    &ENVIRONMENT,
    &AUTH,
    &SESSION,
    &DATABASE,
];

/// The tables as text, appended to `config::unknown-key`'s explanation.
pub fn tables_text() -> String {
    let tables: Vec<String> = ALL
        .iter()
        .map(|table| {
            let which = if table.complete {
                "every key is known"
            } else {
                "only near misses of these are reported"
            };
            format!(
                "{} ({which}):\n    {}\n",
                table.object,
                table.keys.join(", ")
            )
        })
        .collect();
    tables.join("\n")
}

/// `config::unknown-key` for each key of `object` the table does not know
/// (for an incomplete table: each key that looks like a misspelt known key).
/// `path` names the object in messages, as `providers.storage` (empty: the
/// config object itself).
pub fn check(table: &KnownKeys, object: &Object, path: &str) -> Vec<Diagnostic> {
    let written: Vec<(&str, Span, Span)> = object.keys().collect();
    let present: std::collections::HashSet<&str> = written.iter().map(|(k, ..)| *k).collect();
    let subject = match path {
        "" => "the config".to_string(),
        path => format!("`{path}`"),
    };
    let mut out = Vec::new();
    for &(key, key_span, value_span) in &written {
        if table.keys.contains(&key) {
            continue;
        }
        let suggestion = closest(table, key).filter(|s| !present.contains(s));
        if suggestion.is_none() && !table.complete {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::ConfigUnknownKey,
            format!("{subject} has no option `{key}`"),
            key_span,
            "quickback-kv does not read this key",
        );
        d = match suggestion {
            Some(known) => d.with_help(format!("did you mean `{known}`?")).with_fix(
                format!("rename to `{known}`"),
                vec![Edit {
                    span: key_span,
                    replacement: renamed_key(key, key_span, value_span, known),
                }],
            ),
            None => d.with_help(format!(
                "remove it, or use one of the keys this object takes: {}",
                table
                    .keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        out.push(d);
    }
    out
}

/// The known key `key` is most likely a misspelling of, if any. Case, `_` and `-`
/// never count; beyond that a complete table allows about one edit in four
/// letters, an incomplete one (whose object holds other tools' keys) one edit in
/// keys of 5 to 9 letters, two from 10, none in shorter ones.
fn closest(table: &KnownKeys, key: &str) -> Option<&'static str> {
    let key = normalize(key);
    table
        .keys
        .iter()
        .filter_map(|&known| {
            let target = normalize(known);
            let len = target.chars().count();
            let allowed = match (table.complete, len) {
                (true, 0..=4) => 1,
                (true, 5..=8) => 2,
                (true, _) => 3,
                (false, 0..=4) => 0,
                (false, 5..=9) => 1,
                (false, _) => 2,
            };
            // The distance is at least the difference in lengths: skip long keys
            // without comparing them, so a huge key costs nothing.
            if key.chars().count().abs_diff(len) > allowed {
                return None;
            }
            let distance = strsim::osa_distance(&key, &target);
            (distance <= allowed).then_some((distance, known))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The replacement for a key's span: quoted when it was quoted; a shorthand
/// property (`{ namspaceId }`) keeps its value.
fn renamed_key(key: &str, key_span: Span, value_span: Span, known: &str) -> String {
    if key_span == value_span {
        format!("{known}: {key}")
    } else if key_span.len() as usize != key.len() {
        crate::emit::ts::string_literal(known)
    } else {
        known.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_in_complete_tables() {
        assert_eq!(closest(&STORAGE, "namspaceId"), Some("namespaceId"));
        assert_eq!(closest(&STORAGE, "previewID"), Some("previewId"));
        assert_eq!(closest(&STORAGE, "namespace_id"), Some("namespaceId"));
        assert_eq!(closest(&SESSION, "keyprefix"), Some("keyPrefix"));
        assert_eq!(closest(&SESSION, "expiresInDay"), Some("expiresInDays"));
        assert_eq!(closest(&SESSION, "expiresIn"), Some("expiresIn"));
        assert_eq!(closest(&STORAGE, "colour"), None);
        assert_eq!(closest(&STORAGE, "cahce"), Some("cache"));
        assert_eq!(closest(&CACHE, "defaultTTL"), Some("defaultTtl"));
    }

    #[test]
    fn incomplete_tables_take_only_close_keys() {
        assert_eq!(closest(&DATABASE, "kvNamespaceID"), Some("kvNamespaceId"));
        assert_eq!(closest(&AUTH, "kvID"), Some("kvId"));
        assert_eq!(closest(&AUTH, "kvid"), Some("kvId"));
        assert_eq!(closest(&AUTH, "kv_id"), Some("kvId"));
        // Other tools' keys that sit near a KV key are not misspellings of it.
        for foreign in ["id", "kv", "plugins", "secret", "sessions2", "roles"] {
            assert_eq!(closest(&AUTH, foreign), None, "{foreign}");
        }
        assert_eq!(closest(&PROVIDERS, "oauth"), None);
        assert_eq!(closest(&PROVIDERS, "storag"), Some("storage"));
        assert_eq!(closest(&CONFIG, "provider"), Some("providers"));
    }

    #[test]
    fn renaming_keeps_quotes_and_shorthand_values() {
        let file = crate::span::FileId(0);
        let at = |start, end| Span::new(file, start, end);
        assert_eq!(
            renamed_key("namspaceId", at(0, 10), at(12, 20), "namespaceId"),
            "namespaceId"
        );
        assert_eq!(
            renamed_key("namspaceId", at(0, 12), at(14, 20), "namespaceId"),
            "\"namespaceId\""
        );
        assert_eq!(
            renamed_key("namspaceId", at(0, 10), at(0, 10), "namespaceId"),
            "namespaceId: namspaceId"
        );
    }

    #[test]
    fn every_table_is_printed() {
        let text = tables_text();
        for table in ALL {
            for key in table.keys {
                assert!(text.contains(key), "{key}");
            }
        }
    }
}

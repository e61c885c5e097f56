//! Checks the resolved model: id formats, placeholder ids, binding names, TTLs.
//! Each check adds diagnostics; none stops the others.

use crate::diagnostics::{Code, Diagnostic};
use crate::emit::session_period::MAX_KEY_PART_BYTES;
use crate::model::{KV_MIN_TTL, KvModel, Origin, Setting};
use crate::span::Span;

pub fn validate(model: &KvModel) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for binding in &model.bindings {
        let name = &binding.name.value;
        if let Some(origin) = &binding.name.origin
            && let Some(d) = check_binding_name(name, origin)
        {
            out.push(d);
        }
        match &binding.id {
            Some(id) => out.extend(check_namespace_id(&id.value, &id.origin, name)),
            None if binding.id_failed => {}
            None => out.push(missing_namespace_id(name, binding.declared_at)),
        }
        let environment_ids = binding.environments.iter().flat_map(|e| &e.id);
        let preview_ids = binding
            .preview_id
            .iter()
            .chain(binding.environments.iter().flat_map(|e| &e.preview_id));
        for id in environment_ids.chain(preview_ids) {
            out.extend(check_namespace_id(&id.value, &id.origin, name));
        }
    }
    for name in model.environment_names() {
        out.extend(check_environment_name(&name.value, name.origin.value_span));
    }
    if let Some(date) = &model.compatibility_date {
        out.extend(check_compatibility_date(&date.value, &date.origin));
    }
    if model.in_use()
        && let Some(session) = &model.session
    {
        out.extend(check_ttl(&session.expires_in, "session lifetime"));
        out.extend(check_key_prefix(&session.key_prefix));
    }
    out
}

/// KV keys are at most 512 bytes; the adapter needs room after the prefix for the
/// session key period and for its hashed form of a long key (`~sha256:` + 64 hex).
pub const MAX_KEY_PREFIX_BYTES: usize = 512 - 72 - MAX_KEY_PART_BYTES;

/// `config::key-prefix-too-long`: the adapter would throw on its first use.
fn check_key_prefix(setting: &Setting<String>) -> Option<Diagnostic> {
    let origin = setting.origin.as_ref()?;
    let bytes = setting.value.len();
    (bytes > MAX_KEY_PREFIX_BYTES).then(|| {
        Diagnostic::new(
            Code::ConfigKeyPrefixTooLong,
            format!("the session key prefix is {bytes} bytes, more than {MAX_KEY_PREFIX_BYTES}"),
            origin.value_span,
            "with the session key period and a hashed key it would pass KV's 512-byte key limit",
        )
        .with_help(format!(
            "shorten `keyPrefix` to at most {MAX_KEY_PREFIX_BYTES} bytes (UTF-8)"
        ))
    })
}

/// `kv::placeholder-namespace-id` or `kv::invalid-namespace-id`, if either applies.
pub fn check_namespace_id(id: &str, origin: &Origin, binding: &str) -> Option<Diagnostic> {
    let span = origin.value_span;
    if is_placeholder(id) {
        return Some(
            Diagnostic::new(
                Code::KvPlaceholderNamespaceId,
                format!("namespace id \"{id}\" looks like a placeholder"),
                span,
                "fine for local development, but `wrangler deploy` will fail",
            )
            .with_help(format!(
                "run `npx wrangler kv namespace create {binding}` and use the id it prints"
            )),
        );
    }
    if is_namespace_id(id) {
        return None;
    }
    let (message, label) = if id.is_empty() {
        (
            "namespace id is empty".to_string(),
            "an empty id is rejected by wrangler".to_string(),
        )
    } else if is_uuid(id) {
        (
            format!("{id:?} is not a KV namespace id"),
            "this is a UUID, the shape of a D1 database id".to_string(),
        )
    } else {
        (
            format!("{id:?} is not a KV namespace id"),
            format!(
                "a namespace id is 32 hexadecimal characters; this has {} characters",
                id.chars().count()
            ),
        )
    };
    let label = match &origin.via {
        crate::eval::Via::EnvVar(name) => {
            format!("read from environment variable `{name}`: {label}")
        }
        _ => label,
    };
    Some(
        Diagnostic::new(Code::KvInvalidNamespaceId, message, span, label)
            .with_help("list your namespaces with `npx wrangler kv namespace list` and copy the `id` of the one to bind"),
    )
}

pub fn is_namespace_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Ids that stand in for a real one: all zeros, zeros but for the last few
/// characters (`000…0004`, as Quickback's examples use), one repeated
/// character, `xxxx…`, `your-…`, `<…>`, `TODO`. Only harmless characters
/// qualify, so an id that could break out of a string is never a mere warning.
pub fn is_placeholder(id: &str) -> bool {
    let harmless = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" <>_.-".contains(&b));
    if id.is_empty() || !harmless {
        return false;
    }
    let lower = id.to_ascii_lowercase();
    let first = lower.as_bytes()[0];
    let zero_prefix = lower.bytes().take_while(|&b| b == b'0').count();
    (lower.len() >= 8 && lower.bytes().all(|b| b == first))
        || (is_namespace_id(id) && zero_prefix >= 24)
        || lower
            .trim_matches('-')
            .bytes()
            .all(|b| b == b'x' || b == b'-')
        || lower.starts_with("your-")
        || lower.starts_with("your_")
        || (lower.starts_with('<') && lower.ends_with('>'))
        || lower.contains("todo")
        || lower.contains("placeholder")
        || lower.contains("replace-me")
        || lower.contains("replace_me")
}

const RESERVED_WORDS: &[&str] = &[
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

pub fn is_binding_name(name: &str) -> bool {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    valid_start
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED_WORDS.contains(&name)
}

pub fn check_binding_name(name: &str, origin: &Origin) -> Option<Diagnostic> {
    if is_binding_name(name) {
        return None;
    }
    let label = if RESERVED_WORDS.contains(&name) {
        "a reserved word cannot be used as `env.NAME`".to_string()
    } else if name.is_empty() {
        "a binding name cannot be empty".to_string()
    } else {
        "use ASCII letters, digits, `_` and `$`, not starting with a digit".to_string()
    };
    let suggestion: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let suggestion =
        if suggestion.starts_with(|c: char| c.is_ascii_digit()) || RESERVED_WORDS.contains(&name) {
            format!("_{suggestion}")
        } else {
            suggestion
        };
    let mut d = Diagnostic::new(
        Code::KvInvalidBindingName,
        format!("binding name {name:?} is not a JavaScript identifier"),
        origin.value_span,
        label,
    );
    if is_binding_name(&suggestion) {
        d = d.with_help(format!("rename the binding, for example to `{suggestion}`"));
    } else {
        d = d.with_help("rename the binding to an identifier such as `KV` or `SESSIONS`");
    }
    Some(d)
}

/// What `wrangler types` calls an environment's interface: `my-prod` → `MyProdEnv`.
pub fn environment_interface(name: &str) -> String {
    let pascal: String = name
        .split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        })
        .collect();
    if pascal.ends_with("Env") {
        pascal
    } else {
        format!("{pascal}Env")
    }
}

/// An environment name must give a usable interface name in `env.d.ts`.
/// (Clashes between two names are checked where all names are known.)
pub fn check_environment_name(name: &str, span: Span) -> Option<Diagnostic> {
    let interface = environment_interface(name);
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let label = if !valid {
        "use ASCII letters, digits, `-` and `_`, starting with a letter"
    } else if interface == "Env" {
        "its types would be called `Env`, which is the name of the base interface"
    } else {
        return None;
    };
    Some(
        Diagnostic::new(
            Code::KvInvalidEnvironmentName,
            format!("environment name {name:?} cannot be typed"),
            span,
            label,
        )
        .with_help("rename the environment, for example to `staging` or `production`"),
    )
}

fn missing_namespace_id(binding: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::KvMissingNamespaceId,
        format!("KV binding `{binding}` has no namespace id"),
        span,
        "KV is used, but no location gives a namespace id",
    )
    .with_help(format!(
        "`wrangler deploy` will create the namespace on first deploy; to pin one, run `npx wrangler kv namespace create {binding}` and set `namespaceId` in `defineStorage(\"kv\", {{ namespaceId }})`"
    ))
}

/// Whether `date` is a real calendar date written `YYYY-MM-DD`.
pub fn is_compatibility_date(date: &str) -> bool {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `config::invalid-value` unless the date is `YYYY-MM-DD` and real (it goes into a new wrangler.toml).
fn check_compatibility_date(date: &str, origin: &Origin) -> Option<Diagnostic> {
    (!is_compatibility_date(date)).then(|| {
        Diagnostic::new(
            Code::ConfigInvalidValue,
            "compatibilityDate must be a real date written YYYY-MM-DD",
            origin.value_span,
            "wrangler's `compatibility_date` needs a real date such as 2026-07-01",
        )
        .with_help("write the date as YYYY-MM-DD, e.g. \"2026-07-01\"")
    })
}

fn check_ttl(setting: &Setting<u64>, what: &str) -> Option<Diagnostic> {
    let origin = setting.origin.as_ref()?;
    (setting.value < KV_MIN_TTL).then(|| {
        Diagnostic::new(
            Code::KvTtlBelowMinimum,
            format!(
                "{what} of {} s is below KV's minimum of {KV_MIN_TTL} s",
                setting.value
            ),
            origin.value_span,
            format!("KV stores this for {KV_MIN_TTL} s"),
        )
        .with_help(format!(
            "set `{}` to at least {KV_MIN_TTL} seconds",
            origin.path.rsplit('.').next().unwrap_or("expiresIn")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_dates() {
        for good in ["2026-07-01", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_compatibility_date(good), "{good}");
        }
        for bad in [
            "2026-7-01",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-07-00",
            "2026-07-01\n",
            "2026/07/01",
            "</script>",
            "",
            "2026-07-0é",
            "+026-07-01",
        ] {
            assert!(!is_compatibility_date(bad), "{bad:?}");
        }
    }

    #[test]
    fn placeholders() {
        for id in [
            "00000000000000000000000000000000",
            "00000000000000000000000000000004",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "your-kv-id",
            "<namespace id>",
            "TODO",
            "ffffffffffffffffffffffffffffffff",
        ] {
            assert!(is_placeholder(id), "{id}");
        }
        for id in [
            "0f2ac74b498b48028cb68387c421e279",
            "a\"b",
            "<x\"y>",
            "",
            "d1d7a6b0-5e8f-4c2a-9b1e-2f3a4b5c6d7e",
        ] {
            assert!(!is_placeholder(id), "{id}");
        }
    }

    #[test]
    fn binding_names() {
        for ok in ["KV", "SESSIONS", "_x", "$a1"] {
            assert!(is_binding_name(ok), "{ok}");
        }
        for bad in ["", "my-sessions", "1KV", "class", "a b", "é"] {
            assert!(!is_binding_name(bad), "{bad}");
        }
    }
}

//! The paths the CLI takes as flags (`--env-types`, `--session-adapter`,
//! `--auth-module`), as the editor gives them: in `initializationOptions` and in
//! `workspace/didChangeConfiguration` (either the settings themselves or nested
//! under `quickbackKv`, as VS Code's client sends its configuration section).
//! A missing, `null` or empty value is the CLI's default; a value of another type
//! is reported and the default used, so a bad setting never stops the server.

use serde_json::Value;

use crate::project::{DEFAULT_AUTH_MODULE, DEFAULT_ENV_TYPES, DEFAULT_SESSION_ADAPTER};

/// The client's name for the section that holds these settings.
pub const SECTION: &str = "quickbackKv";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub env_types: String,
    pub session_adapter: String,
    pub auth_module: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            env_types: DEFAULT_ENV_TYPES.to_string(),
            session_adapter: DEFAULT_SESSION_ADAPTER.to_string(),
            auth_module: DEFAULT_AUTH_MODULE.to_string(),
        }
    }
}

/// Reads the settings out of `value`; returns them with a message for every value
/// that was ignored. Keys the server does not know (`diagnosticsUrl`, the client's
/// own settings) are left alone.
pub fn read(value: Option<&Value>) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut ignored = Vec::new();
    let Some(object) = value
        .map(|v| v.get(SECTION).unwrap_or(v))
        .and_then(Value::as_object)
    else {
        return (settings, ignored);
    };
    for (key, field) in [
        ("envTypes", &mut settings.env_types),
        ("sessionAdapter", &mut settings.session_adapter),
        ("authModule", &mut settings.auth_module),
    ] {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(path)) if path.trim().is_empty() => {}
            Some(Value::String(path)) => *field = path.trim().to_string(),
            Some(other) => ignored.push(format!(
                "ignoring the setting {key}: {other} is not a path (a string)"
            )),
        }
    }
    (settings, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_null_and_empty_values_are_the_cli_defaults() {
        assert_eq!(read(None), (Settings::default(), vec![]));
        let (settings, ignored) = read(Some(
            &json!({ "envTypes": null, "authModule": " ", "diagnosticsUrl": "x" }),
        ));
        assert_eq!((settings, ignored), (Settings::default(), vec![]));
    }

    #[test]
    fn values_are_read_flat_or_under_the_section() {
        let flat = json!({ "envTypes": "worker/env.d.ts", "authModule": "app/auth.ts" });
        let nested = json!({ "quickbackKv": flat.clone() });
        for value in [flat, nested] {
            let (settings, ignored) = read(Some(&value));
            assert!(ignored.is_empty());
            assert_eq!(settings.env_types, "worker/env.d.ts");
            assert_eq!(settings.auth_module, "app/auth.ts");
            assert_eq!(settings.session_adapter, DEFAULT_SESSION_ADAPTER);
        }
    }

    #[test]
    fn a_value_that_is_not_a_string_is_reported_and_the_default_kept() {
        let (settings, ignored) = read(Some(&json!({ "sessionAdapter": 3 })));
        assert_eq!(settings, Settings::default());
        assert_eq!(
            ignored,
            ["ignoring the setting sessionAdapter: 3 is not a path (a string)"]
        );
    }
}

//! The output paths the command line names, checked before anything is read:
//! relative to the root and inside it (unless `--allow-outside-root`), and no
//! two naming the same file.

use std::path::{Component, Path};

use super::CommonArgs;
use crate::compile::WRANGLER_FILES;

/// Why the output paths cannot be used, as a one-line message for clap's error.
pub fn check(args: &CommonArgs) -> Result<(), String> {
    let outputs = [
        ("--env-types", args.env_types.as_str()),
        ("--session-adapter", args.session_adapter.as_str()),
        ("--cache-module", args.cache_module.as_str()),
        ("--memory-kv", args.memory_kv.as_str()),
        ("--auth-module", args.auth_module.as_str()),
    ];
    let mut seen: Vec<(&str, String)> = WRANGLER_FILES
        .iter()
        .map(|name| ("the wrangler config", name.to_string()))
        .collect();
    for (flag, path) in outputs {
        if !args.allow_outside_root {
            inside_root(flag, path)?;
        }
        let key = normal(path).ok_or_else(|| format!("{flag} {path:?} names no file"))?;
        // Compared without case: on macOS and Windows `Env.d.ts` is `env.d.ts`.
        if let Some((other, _)) = seen.iter().find(|(_, k)| k.eq_ignore_ascii_case(&key)) {
            return Err(format!(
                "{flag} {path:?} is the same file as {other}; give each output its own path"
            ));
        }
        seen.push((flag, key));
    }
    Ok(())
}

/// Outputs are written relative to the root: no absolute path, no `..` (even one
/// that stays inside lexically: through a linked directory it need not).
fn inside_root(flag: &str, path: &str) -> Result<(), String> {
    let p = Path::new(path);
    let escapes = p.has_root()
        || p.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        });
    if escapes {
        return Err(format!(
            "{flag} {path:?} is absolute or has `..`: outputs are written inside the project \
             root, relative to it (give such a path, or pass --allow-outside-root)"
        ));
    }
    Ok(())
}

/// `path` with `.` and `a/..` folded away and `/` separators; `None` when
/// nothing is left (the root itself).
fn normal(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut prefix = String::new();
    for c in Path::new(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(last) if last != ".." => {
                    parts.pop();
                }
                _ => parts.push("..".into()),
            },
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
            Component::RootDir | Component::Prefix(_) => {
                prefix.push_str(&c.as_os_str().to_string_lossy());
            }
        }
    }
    if parts.is_empty() || parts.last().is_some_and(|p| p == "..") {
        return None;
    }
    Some(prefix + &parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_folded() {
        assert_eq!(normal("./src//env.d.ts").as_deref(), Some("src/env.d.ts"));
        assert_eq!(
            normal("src/lib/../env.d.ts").as_deref(),
            Some("src/env.d.ts")
        );
        assert_eq!(normal("../x.ts").as_deref(), Some("../x.ts"));
        assert_eq!(normal("src/.."), None);
        assert_eq!(normal("../.."), None);
    }
}

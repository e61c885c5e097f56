//! The names of a build's temporary files, and removing those a killed build
//! left behind.
//!
//! Every staged file is `.<name>.XXXXXX.quickback-kv.tmp` next to its target,
//! where `<name>` is the target's file name cut to [`NAME_BYTES`] (on a character
//! boundary), so the whole name stays under 255 bytes for any valid target name.
//! A build killed by SIGKILL (or a power cut) cannot remove its own: the next
//! build, holding the exclusive lock (so no other build of the root is staging),
//! removes every regular file with that shape from the directories it writes to
//! inside the root. Outside the root (a symlinked wrangler file shared by several
//! workers, which other roots' builds may be staging next to) nothing is removed.

use std::path::Path;

/// How much of the target's name a temporary name keeps.
pub const NAME_BYTES: usize = 200;
/// Every temporary name ends so.
pub const SUFFIX: &str = ".quickback-kv.tmp";

/// The prefix of a temporary name for `target` (the random part and [`SUFFIX`] follow).
pub fn prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut end = name.len().min(NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
}

/// Whether `name` is a temporary name this module gives.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        && name
            .strip_suffix(SUFFIX)
            .filter(|rest| rest.len() >= 8)
            .and_then(|rest| rest.get(rest.len().saturating_sub(7)..))
            .is_some_and(|tail| {
                let mut chars = tail.chars();
                chars.next() == Some('.') && chars.all(|c| c.is_ascii_alphanumeric())
            })
}

/// Removes the temporary files of earlier, killed builds from `dir` (only
/// regular files; a link with such a name is left alone). Errors are ignored:
/// debris that cannot be removed harms nothing but tidiness.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && name.to_str().is_some_and(is_temporary) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_fit_and_are_recognised() {
        let long = "é".repeat(127); // 254 bytes
        let prefix = prefix(Path::new(&long));
        assert!(prefix.len() <= NAME_BYTES + 2);
        let name = format!("{prefix}Ab3xYz{SUFFIX}");
        assert!(name.len() <= 255, "{}", name.len());
        assert!(is_temporary(&name));
        assert!(is_temporary(".wrangler.toml.q1W2e3.quickback-kv.tmp"));
        assert!(!is_temporary(".wrangler.toml.quickback-kv-123.tmp"));
        assert!(!is_temporary("wrangler.toml.q1W2e3.quickback-kv.tmp"));
        assert!(!is_temporary(".notes.quickback-kv.tmp"));
    }
}

//! Where a diagnostic's explanation lives: `docs/diagnostics.md`, one anchor per
//! code, generated from the code registry (a test keeps the file up to date).
//!
//! Published diagnostics link there through `codeDescription.href`. The project
//! has no web home yet, so the link is `<base>#<anchor>` where the base is, in order:
//! the client's `initializationOptions.diagnosticsUrl`, else the `file://` URL of
//! the `docs/diagnostics.md` this binary was built from, when it still exists;
//! otherwise diagnostics carry no link (`quickback-kv explain CODE` still works).

use std::fmt::Write as _;
use std::str::FromStr;

use lsp_types::Uri;

use crate::diagnostics::Code;

/// The reference's path in the repository.
pub const DOC_PATH: &str = "docs/diagnostics.md";

/// The anchor of a code in the reference: `kv::invalid-namespace-id` → `kv-invalid-namespace-id`.
pub fn anchor(code: Code) -> String {
    code.as_str().replace("::", "-")
}

/// Builds `codeDescription` links.
#[derive(Debug, Clone, Default)]
pub struct Links {
    base: Option<String>,
}

impl Links {
    /// `configured` comes from the client; see the module comment for the fallback.
    pub fn new(configured: Option<String>) -> Links {
        let built_with = || {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC_PATH);
            let uri = path
                .is_file()
                .then(|| super::uri::from_path(&path))
                .flatten()?;
            Some(uri.as_str().to_string())
        };
        Links {
            base: configured.filter(|b| !b.is_empty()).or_else(built_with),
        }
    }

    pub fn href(&self, code: Code) -> Option<Uri> {
        let base = self.base.as_deref()?;
        let base = base.split('#').next().unwrap_or(base);
        Uri::from_str(&format!("{base}#{}", anchor(code))).ok()
    }
}

/// The text of `docs/diagnostics.md`.
pub fn reference() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated from src/diagnostics/codes.rs; rewrite with `UPDATE_EXPECT=1 cargo test --test docs`. -->\n\n\
         Every diagnostic quickback-kv reports carries one of these codes. `quickback-kv explain CODE`\n\
         prints the same text, and the language server links each diagnostic to its section here.\n\n\
         | code | severity |\n|---|---|\n",
    );
    for &code in Code::ALL {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} |",
            code.as_str(),
            anchor(code),
            code.severity().as_str()
        );
    }
    for &code in Code::ALL {
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n\n## `{}`\n\nSeverity: **{}**\n\n",
            anchor(code),
            code.as_str(),
            code.severity().as_str()
        );
        out.push_str(&markdown(&code.full_explanation()));
    }
    out
}

/// The explanations are plain text with code examples indented four spaces;
/// those become fenced blocks so they render as code wherever they stand.
fn markdown(explanation: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in explanation.lines() {
        let code = line.strip_prefix("    ");
        match (code, in_code) {
            (Some(code), false) => {
                out.push_str("\n```ts\n");
                out.push_str(code);
                in_code = true;
            }
            (Some(code), true) => out.push_str(code),
            (None, true) => {
                out.push_str("```\n\n");
                out.push_str(line);
                in_code = false;
            }
            (None, false) => out.push_str(line),
        }
        out.push('\n');
    }
    if in_code {
        out.push_str("```\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_unique() {
        let mut anchors: Vec<_> = Code::ALL.iter().map(|&c| anchor(c)).collect();
        anchors.sort();
        anchors.dedup();
        assert_eq!(anchors.len(), Code::ALL.len());
    }

    #[test]
    fn a_configured_base_wins_and_gets_the_anchor() {
        let links = Links::new(Some("https://example.com/diagnostics.md#old".into()));
        let href = links
            .href(Code::KvConflictingNamespaceIds)
            .expect("a valid URL");
        assert_eq!(
            href.as_str(),
            "https://example.com/diagnostics.md#kv-conflicting-namespace-ids"
        );
    }

    #[test]
    fn indented_examples_become_code_blocks() {
        let text = markdown("Accepted forms:\n    a()\n    b()\noptionally more.");
        assert_eq!(
            text,
            "Accepted forms:\n\n```ts\na()\nb()\n```\n\noptionally more.\n"
        );
    }
}

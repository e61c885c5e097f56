//! Hover on a KV value: what the compiler resolved and where from, and where
//! sessions are wired.
//!
//! The hover renders the compilation's one [`Report`] (the same value `build`'s
//! summary and JSON report render): [`hover_targets`] turns it into spans with
//! Markdown, and everything else only looks spans up.

use std::collections::BTreeMap;

use crate::eval::Via;
use crate::model::{Origin, Setting};
use crate::report::{BindingReport, IdSource, Report, SessionsReport, Verdict, WiringReport};
use crate::span::{Files, LineIndex, Span};

/// Every span a hover can show something for, with its Markdown. Spans may nest
/// (a whole provider call, a value inside it); the innermost one is shown.
pub fn hover_targets(report: &Report, files: &Files) -> Vec<(Span, String)> {
    let lines = Lines { files };
    // Each span's headings, and the summary of the binding it belongs to.
    let mut headings: BTreeMap<Span, (Vec<String>, String)> = BTreeMap::new();
    let sessions_of = |binding: &BindingReport| {
        report
            .sessions
            .as_ref()
            .filter(|s| s.binding.value == binding.name.value)
    };
    for binding in &report.bindings {
        let summary = summary(binding, sessions_of(binding), &report.wiring, &lines);
        let mut add = |span: Span, heading: String| {
            headings
                .entry(span)
                .or_insert_with(|| (Vec::new(), summary.clone()))
                .0
                .push(heading);
        };
        add(
            binding.declared_at,
            format!("Declares KV binding {}", code(&binding.name.value)),
        );
        if let Some(origin) = &binding.name.origin {
            for span in origin_spans(origin, files) {
                add(
                    span,
                    format!(
                        "{} names the KV binding {}",
                        code(&origin.path),
                        code(&binding.name.value)
                    ),
                );
            }
        }
        for source in &binding.sources {
            let heading = id_heading(binding, source);
            for span in origin_spans(&source.origin, files) {
                add(span, heading.clone());
            }
        }
        if let Some(preview) = &binding.preview_id {
            for span in origin_spans(&preview.origin, files) {
                add(
                    span,
                    format!(
                        "{} gives the preview namespace {} (what `wrangler dev` uses)",
                        code(&preview.origin.path),
                        code(&preview.value)
                    ),
                );
            }
        }
        for environment in &binding.config_environments {
            let name = code(&environment.name.value);
            add(
                environment.name.origin.value_span,
                format!(
                    "Environment {name} of KV binding {}",
                    code(&binding.name.value)
                ),
            );
            for id in environment.id.iter().chain(&environment.preview_id) {
                for span in origin_spans(&id.origin, files) {
                    add(
                        span,
                        format!(
                            "{} gives {} for environment {name}",
                            code(&id.origin.path),
                            code(&id.value)
                        ),
                    );
                }
            }
        }
    }
    if let (Some(session), Some(primary)) = (&report.sessions, report.bindings.first()) {
        let owner = report
            .bindings
            .iter()
            .find(|b| b.name.value == session.binding.value)
            .unwrap_or(primary);
        let summary = summary(owner, Some(session), &report.wiring, &lines);
        for span in session_spans(session, files) {
            headings
                .entry(span)
                .or_insert_with(|| (Vec::new(), summary.clone()))
                .0
                .push("Session storage".to_string());
        }
    }
    headings
        .into_iter()
        .map(|(span, (h, summary))| (span, format!("{}\n\n---\n\n{summary}", h.join("\n\n"))))
        .collect()
}

/// The innermost target around a byte offset of `file` (the offset right after a
/// target still counts: that is where the cursor is after typing it).
pub fn hover_at(
    targets: Vec<(Span, String)>,
    file: crate::span::FileId,
    offset: u32,
) -> Option<(Span, String)> {
    targets
        .into_iter()
        .filter(|(span, _)| span.file == file && span.start <= offset && offset <= span.end)
        .min_by_key(|(span, _)| span.len())
}

fn id_heading(binding: &BindingReport, source: &IdSource) -> String {
    let path = code(&source.origin.path);
    let value = code(&source.value);
    let winner = binding.sources.first().map(|w| code(&w.origin.path));
    match (source.verdict, winner) {
        (Verdict::SameId, Some(winner)) => format!("{path} gives the same id as {winner}"),
        (Verdict::Conflicts, Some(winner)) => {
            format!("{path} gives {value}, **which conflicts** with {winner} (the winner)")
        }
        _ => format!(
            "{path} gives {value}: **this location wins** (it comes first in resolution order)"
        ),
    }
}

fn summary(
    binding: &BindingReport,
    session: Option<&SessionsReport>,
    wiring: &WiringReport,
    lines: &Lines,
) -> String {
    let mut out = format!("**KV binding {}**", code(&binding.name.value));
    match &binding.id {
        Some(id) => out.push_str(&format!(" → namespace {}\n\n", code(id))),
        None if binding.id_failed => out.push_str(
            " → no namespace id: a location could not be evaluated (see the diagnostics)\n\n",
        ),
        None => out.push_str(" → no namespace id: `wrangler deploy` creates the namespace\n\n"),
    }
    if !binding.sources.is_empty() {
        out.push_str("Namespace id, in resolution order (storage `namespaceId`, auth `kvId`, database `kvNamespaceId`):\n\n");
        for (i, source) in binding.sources.iter().enumerate() {
            let verdict = match source.verdict {
                Verdict::Wins => "wins".to_string(),
                Verdict::SameId => "same id".to_string(),
                Verdict::Conflicts => format!("gives {}, conflicts", code(&source.value)),
            };
            out.push_str(&format!(
                "{}. {} ({}): {verdict}\n",
                i + 1,
                code(&source.origin.path),
                lines.describe(&source.origin)
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Binding name: {}\n",
        setting(&binding.name, lines, |v| code(v))
    ));
    if let Some(preview) = &binding.preview_id {
        out.push_str(&format!(
            "\nPreview namespace {} ({})\n",
            code(&preview.value),
            lines.describe(&preview.origin)
        ));
    }
    if binding.remote {
        out.push_str("\n`remote = true`: `wrangler dev` uses the deployed namespace\n");
    }
    let environments: Vec<String> = binding
        .environments
        .iter()
        .map(|e| {
            let id = e
                .namespace_id
                .as_deref()
                .map_or("no id (created on deploy)".to_string(), code);
            match &e.own {
                Some(own) => format!("- {}: {id} ({})", code(&e.name), lines.describe(own)),
                None => format!(
                    "- {}: {id}, the top-level namespace (shared)",
                    code(&e.name)
                ),
            }
        })
        .collect();
    if !environments.is_empty() {
        out.push_str(&format!("\nEnvironments:\n{}\n", environments.join("\n")));
    }
    if let Some(s) = session {
        out.push_str(&format!(
            "\nSessions, {}:\n- binding {}\n- key prefix {}\n- expire after {}\n- refreshed after {}\n",
            match (s.in_kv, s.kv_only) {
                (true, false) => "cached in KV in front of the database",
                (true, true) => "in KV only",
                _ => "stored in the database",
            },
            setting(&s.binding, lines, |v| code(v)),
            setting(&s.key_prefix, lines, |v| code(&format!("{v:?}"))),
            setting(&s.expires_in, lines, |v| seconds(*v)),
            setting(&s.update_age, lines, |v| seconds(*v)),
        ));
        out.push_str(&format!("- Better Auth {}\n", s.better_auth.describe()));
        match wiring {
            WiringReport::Off => {}
            WiringReport::Wired(place) => out.push_str(&format!(
                "- wired into `betterAuth` in {} line {}\n",
                code(&place.path),
                place.line
            )),
            WiringReport::NotWired(place) => out.push_str(&format!(
                "- **not wired** into {}: see the warning on line {}\n",
                code(&place.path),
                place.line
            )),
            WiringReport::NoModule { path } => {
                out.push_str(&format!("- not wired: no auth module at {}\n", code(path)))
            }
            WiringReport::Removed { path } => {
                out.push_str(&format!("- wiring removed from {}\n", code(path)))
            }
        }
    }
    out
}

fn setting<T>(setting: &Setting<T>, lines: &Lines, show: impl Fn(&T) -> String) -> String {
    match &setting.origin {
        Some(origin) => format!(
            "{} (from {}, {})",
            show(&setting.value),
            code(&origin.path),
            lines.describe(origin)
        ),
        None => format!("{} (default)", show(&setting.value)),
    }
}

fn seconds(value: u64) -> String {
    let unit = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(n, _)| value >= *n && value.is_multiple_of(*n));
    match unit {
        Some((n, name)) => format!(
            "{value} s ({} {name}{})",
            value / n,
            if value / n == 1 { "" } else { "s" }
        ),
        None => format!("{value} s"),
    }
}

/// 1-based line numbers for people.
struct Lines<'a> {
    files: &'a Files,
}

impl Lines<'_> {
    fn line(&self, span: Span) -> u32 {
        let text = self.files.text(span.file);
        LineIndex::new(text).position(text, span.start).line + 1
    }

    /// Where a value is written and how it was read, e.g. `line 7, from process.env.KV_ID`.
    fn describe(&self, origin: &Origin) -> String {
        let mut out = format!("line {}", self.line(origin.use_span));
        let value_line = self.line(origin.value_span);
        if origin.value_span.file != origin.use_span.file {
            out.push_str(&format!(
                ", value in {} line {value_line}",
                self.files.path(origin.value_span.file)
            ));
        } else if value_line != self.line(origin.use_span) {
            out.push_str(&format!(", value on line {value_line}"));
        }
        match &origin.via {
            Via::Literal | Via::WranglerFile => {}
            Via::EnvVar(name) => out.push_str(&format!(", from `process.env.{name}`")),
            Via::EnvFallback(name) => {
                out.push_str(&format!(", the fallback: `{name}` is unset or empty"))
            }
        }
        out
    }
}

/// Where hovering shows an origin: the expression with its property key
/// (`kvId: IDS.kv`), and the literal it evaluated to when that is elsewhere.
fn origin_spans(origin: &Origin, files: &Files) -> Vec<Span> {
    let mut spans = vec![with_key(
        origin.use_span,
        files.text(origin.use_span.file),
        false,
    )];
    if origin.value_span != origin.use_span {
        spans.push(origin.value_span);
    }
    spans
}

/// The session block: from its `session:` key over every option the compiler read.
fn session_spans(session: &SessionsReport, files: &Files) -> Vec<Span> {
    let options = [
        &session.binding.origin,
        &session.key_prefix.origin,
        &session.expires_in.origin,
        &session.update_age.origin,
    ];
    let mut spans: Vec<Span> = options
        .into_iter()
        .flatten()
        .map(|o| with_key(o.use_span, files.text(o.use_span.file), false))
        .collect();
    spans.extend(
        session
            .storage_span
            .map(|s| with_key(s, files.text(s.file), false)),
    );
    let Some(first) = spans.first().copied() else {
        return spans;
    };
    let same_file = spans.iter().filter(|s| s.file == first.file);
    let start = same_file
        .clone()
        .map(|s| s.start)
        .min()
        .unwrap_or(first.start);
    let end = same_file.map(|s| s.end).max().unwrap_or(first.end);
    spans.push(with_key(
        Span::new(first.file, start, end),
        files.text(first.file),
        true,
    ));
    spans
}

/// Extends a value's span back over `key:` (or `key: {` when `in_object`) in front
/// of it; unchanged when the text before is not a plain or quoted property key.
fn with_key(span: Span, text: &str, in_object: bool) -> Span {
    let Some(before) = text.get(..span.start as usize) else {
        return span;
    };
    let mut rest = before.trim_end();
    if in_object {
        let Some(inside) = rest.strip_suffix('{') else {
            return span;
        };
        rest = inside.trim_end();
    }
    let Some(rest) = rest.strip_suffix(':') else {
        return span;
    };
    let rest = rest.trim_end();
    let key_start = match rest.chars().last() {
        Some(quote @ ('"' | '\'')) => rest[..rest.len() - 1].rfind(quote),
        Some(c) if is_ident_char(c) => Some(rest.trim_end_matches(is_ident_char).len()),
        _ => None,
    };
    match key_start {
        Some(start) if start < rest.len() => Span::new(span.file, start as u32, span.end),
        _ => span,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Inline code that survives backticks and line breaks in the value.
fn code(value: &str) -> String {
    let value = value.replace(['\n', '\r'], " ");
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{Contents, FileInput, Inputs, Options, compile};

    const CONFIG: &str = r#"import { defineConfig, defineAuth, defineDatabase, defineStorage } from "@quickback/compiler";

const IDS = { kv: process.env.QK_HOVER_UNSET ?? "0f2ac74b498b48028cb68387c421e279" };

export default defineConfig({
  providers: {
    database: defineDatabase("cloudflare-d1", { kvNamespaceId: "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b" }),
    auth: defineAuth("better-auth", { kvId: IDS.kv, session: { storage: "kv", expiresInDays: 30 } }),
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279", binding: "SESSIONS" }),
  },
});
"#;

    fn hover(text: &str, needle: &str) -> String {
        hover_with_auth(text, needle, Contents::Missing)
    }

    fn hover_with_auth(text: &str, needle: &str, auth_module: Contents) -> String {
        let inputs = Inputs {
            config: FileInput {
                path: "quickback.config.ts".into(),
                contents: Contents::Bytes(text.as_bytes().to_vec()),
            },
            wrangler: Vec::new(),
            existing_outputs: Vec::new(),
            auth_module: FileInput {
                path: "src/lib/auth.ts".into(),
                contents: auth_module,
            },
            env: Default::default(),
            packages: Vec::new(),
            clock: None,
        };
        let options = Options {
            env_types_path: "src/env.d.ts".into(),
            session_adapter_path: "a.ts".into(),
            auth_module_path: "src/lib/auth.ts".into(),
            command: "c".into(),
        };
        let c = compile(&inputs, &options);
        let file = c.config_file.expect("the config was read");
        let offset = text.find(needle).expect("needle in the config") as u32 + 1;
        hover_at(
            hover_targets(&crate::report::report(&c), &c.files),
            file,
            offset,
        )
        .map(|(_, markdown)| markdown)
        .unwrap_or_default()
    }

    #[test]
    fn hovering_a_key_shows_its_verdict_and_every_location_with_lines() {
        let markdown = hover(CONFIG, "kvNamespaceId");
        assert!(markdown.starts_with("`providers.database.kvNamespaceId` gives `9a8b7c6d5e4f40312a1b2c3d4e5f6a7b`, **which conflicts**"), "{markdown}");
        assert!(
            markdown.contains(
                "**KV binding `SESSIONS`** → namespace `0f2ac74b498b48028cb68387c421e279`"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("1. `providers.storage.namespaceId` (line 9): wins"),
            "{markdown}"
        );
        assert!(markdown.contains("2. `providers.auth.kvId` (line 8, value on line 3, the fallback: `QK_HOVER_UNSET` is unset or empty): same id"), "{markdown}");
        assert!(markdown.contains("3. `providers.database.kvNamespaceId` (line 7): gives `9a8b7c6d5e4f40312a1b2c3d4e5f6a7b`, conflicts"), "{markdown}");
        assert!(
            markdown
                .contains("Binding name: `SESSIONS` (from `providers.storage.binding`, line 9)"),
            "{markdown}"
        );
    }

    #[test]
    fn hovering_the_winner_the_binding_and_the_session_block() {
        assert!(hover(CONFIG, "namespaceId").starts_with("`providers.storage.namespaceId` gives `0f2ac74b498b48028cb68387c421e279`: **this location wins**"));
        assert!(
            hover(CONFIG, "\"SESSIONS\"")
                .starts_with("`providers.storage.binding` names the KV binding `SESSIONS`")
        );
        let session = hover(CONFIG, "session:");
        assert!(session.starts_with("Session storage"), "{session}");
        assert!(session.contains("Sessions, cached in KV in front of the database:\n- binding `SESSIONS` (default)\n- key prefix `\"session:\"` (default)\n"), "{session}");
        assert!(session.contains("- expire after 2592000 s (30 days) (from `providers.auth.session.expiresInDays`, line 8)"), "{session}");
        assert!(session.contains("- Better Auth not found (no node_modules/better-auth, lockfile or package.json dependency)\n"), "{session}");
        // The constant's literal is shared by one location; hovering it explains that one.
        assert!(hover(CONFIG, "\"0f2a").contains("`providers.auth.kvId` gives the same id"));
    }

    #[test]
    fn hovering_environments_and_other_namespaces() {
        let config = r#"import { defineConfig, defineStorage } from "@quickback/compiler";
export default defineConfig({
  providers: {
    storage: defineStorage("kv", {
      namespaceId: "0f2ac74b498b48028cb68387c421e279",
      previewId: "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c",
      environments: { staging: { namespaceId: "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b" } },
      namespaces: [{ binding: "CACHE", namespaceId: "8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6a" }],
    }),
  },
});
"#;
        let staging = hover(config, "\"5b3f");
        assert!(staging.starts_with("`providers.storage.environments.staging.namespaceId` gives `5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b` for environment `staging`"), "{staging}");
        assert!(
            staging.contains("**KV binding `KV`**")
                && staging.contains("- `staging`: `5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b` (line 7)"),
            "{staging}"
        );
        assert!(
            staging.contains("Preview namespace `1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c` (line 6)"),
            "{staging}"
        );
        // The other binding has its own summary; staging shares its top-level id.
        let cache = hover(config, "\"8e6c");
        assert!(
            cache.contains("**KV binding `CACHE`** → namespace `8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6a`"),
            "{cache}"
        );
        assert!(
            cache.contains(
                "- `staging`: `8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6a`, the top-level namespace (shared)"
            ),
            "{cache}"
        );
    }

    #[test]
    fn the_session_block_says_where_sessions_are_wired() {
        let session = hover(CONFIG, "session:");
        assert!(
            session.contains("- not wired: no auth module at `src/lib/auth.ts`\n"),
            "{session}"
        );
        let auth = "import { betterAuth } from \"better-auth\";\n\nexport const createAuth = (env: Env) =>\n  betterAuth({ secret: \"s\" });\n";
        let session = hover_with_auth(CONFIG, "session:", Contents::Bytes(auth.into()));
        assert!(
            session.contains("- wired into `betterAuth` in `src/lib/auth.ts` line 4\n"),
            "{session}"
        );
        let broken = hover_with_auth(
            CONFIG,
            "session:",
            Contents::Bytes(b"betterAuth({".to_vec()),
        );
        assert!(
            broken.contains("- **not wired** into `src/lib/auth.ts`: see the warning on line 1\n"),
            "{broken}"
        );
    }

    #[test]
    fn nothing_to_show_outside_kv_values() {
        assert_eq!(hover(CONFIG, "import"), "");
        assert_eq!(hover("export default {};\n", "export"), "");
    }

    #[test]
    fn keys_are_found_before_values() {
        let text = "x = { 'kv-id': 1, kvId:  2, f(3) }";
        let span = |needle: &str| {
            let at = text.find(needle).expect("needle") as u32;
            Span::new(crate::span::FileId(0), at, at + 1)
        };
        assert_eq!(
            with_key(span("1"), text, false).start,
            text.find("'kv-id'").expect("key") as u32
        );
        assert_eq!(
            with_key(span("2"), text, false).start,
            text.find("kvId").expect("key") as u32
        );
        assert_eq!(with_key(span("3"), text, false), span("3"));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("KV"), "`KV`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}

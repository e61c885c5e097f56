use crate::diagnostics::{Code, Diagnostic};
use crate::span::FileId;
use crate::wrangler::{
    Desired, EntryFacts, Existing, Format, KvEntry, MARKER_TEXT, Owner, ownership, reconcile,
};

/// The JSON half with the core's ownership and reconcile steps around it, as
/// `compile` runs them.
struct Parsed {
    existing: Existing,
    inner: super::Parsed,
}

/// `adopt`: the bindings the config manages.
fn parse(
    file: FileId,
    text: &str,
    strict_json: bool,
    adopt: &[String],
) -> Result<Parsed, Diagnostic> {
    let format = if strict_json {
        Format::Json
    } else {
        Format::Jsonc
    };
    let (inner, facts) = super::parse(file, text, format)?;
    let (existing, diagnostics) = ownership(facts, format, adopt);
    if let Some(d) = diagnostics.into_iter().find(Diagnostic::is_error) {
        return Err(d);
    }
    Ok(Parsed { existing, inner })
}

fn edit(parsed: Parsed, desired: &Desired) -> String {
    super::edit(&parsed.inner, &reconcile(&parsed.existing, desired))
}

/// Every binding the file declares, in file order per scope: KV entries first.
fn bindings(parsed: &Parsed) -> Vec<(String, String, Option<String>, crate::span::Span, bool)> {
    let mut out = Vec::new();
    for scope in &parsed.existing.scopes {
        for e in &scope.entries {
            out.push((
                e.facts.binding.value.clone(),
                "kv_namespaces".to_string(),
                scope.environment.clone(),
                e.facts.binding.span,
                e.owner != Owner::HandWritten,
            ));
        }
        for o in parsed
            .existing
            .others
            .iter()
            .filter(|o| o.environment == scope.environment)
        {
            out.push((
                o.name.clone(),
                o.kind.clone(),
                o.environment.clone(),
                o.span,
                false,
            ));
        }
    }
    out
}

const FILE: FileId = FileId(3);
const ID: &str = "0123456789abcdef0123456789abcdef";
const ID2: &str = "fedcba9876543210fedcba9876543210";
const PREVIEW: &str = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb";

fn kv(binding: &str, id: &str) -> KvEntry {
    KvEntry {
        binding: binding.into(),
        id: Some(id.into()),
        preview_id: None,
        remote: false,
        marker: Default::default(),
    }
}

fn top(entries: Vec<KvEntry>) -> Desired {
    Desired {
        top: entries,
        environments: Vec::new(),
    }
}

/// Expected text with `MARKER` standing for the marker text.
fn expected(text: &str) -> String {
    text.replace("MARKER", MARKER_TEXT)
}

fn parse_jsonc(text: &str) -> Parsed {
    parse(FILE, text, false, &[]).unwrap_or_else(|d| panic!("{}: {:?}", d.message, d.primary()))
}

/// Edits a `wrangler.jsonc`; checks the result parses and a second edit
/// with the same wishes changes nothing.
fn edit_jsonc(text: &str, desired: &Desired) -> String {
    let out = edit(parse_jsonc(text), desired);
    let again = edit(parse_jsonc(&out), desired);
    assert_eq!(again, out, "a second edit changed the file:\n{out}");
    out
}

/// Edits a `wrangler.json`; also checks the result is plain JSON that
/// `JSON.parse` (here serde_json) accepts, and that no comment was written.
fn edit_json(text: &str, adopt: &[&str], desired: &Desired) -> String {
    let adopt: Vec<String> = adopt.iter().map(|s| s.to_string()).collect();
    let out = edit(parse(FILE, text, true, &adopt).unwrap(), desired);
    let again = edit(parse(FILE, &out, true, &adopt).unwrap(), desired);
    assert_eq!(again, out, "a second edit changed the file:\n{out}");
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    assert!(
        !out.contains("//") && !out.contains("/*"),
        "a comment was written:\n{out}"
    );
    out
}

/// Lines removed and lines added between two texts.
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().to_string()),
            similar::ChangeTag::Insert => added.push(change.value().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

fn error(text: &str) -> Diagnostic {
    match parse(FILE, text, false, &[]) {
        Ok(_) => panic!("parsed without a diagnostic:\n{text}"),
        Err(d) => {
            assert_eq!(d.code, Code::WranglerInvalid);
            assert_eq!(d.primary().span.file, FILE);
            assert!(d.help.is_some(), "no help: {d:?}");
            d
        }
    }
}

/// The text a diagnostic's primary label points at.
fn pointed<'t>(text: &'t str, d: &Diagnostic) -> &'t str {
    &text[d.primary().span.range()]
}

fn kv_bindings(parsed: &Parsed) -> Vec<(&str, bool, Option<&str>)> {
    parsed
        .existing
        .scopes
        .iter()
        .flat_map(|s| {
            s.entries.iter().map(|e| {
                (
                    e.facts.binding.value.as_str(),
                    e.owner != Owner::HandWritten,
                    s.environment.as_deref(),
                )
            })
        })
        .collect()
}

// ---- appending ----

#[test]
fn minimal_object_gets_kv_namespaces() {
    let out = edit_jsonc("{}\n", &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        expected(
            r#"{
  "kv_namespaces": [
    // MARKER
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef"
    }
  ]
}
"#
        )
    );
}

const COMMENTED: &str = r#"// Worker config, kept by hand.
{
  /* the name wrangler deploys under */
  "name": "shop",   // trailing spaces before this comment stay
  "main": "src/index.ts",
  "compatibility_date": "2025-01-01",
  "compatibility_flags": [
    "nodejs_compat", // needed by Better Auth
  ],

  // Databases
  "d1_databases": [{ "binding": "DB", "database_name": "shop", "database_id": "x" }],
}
"#;

#[test]
fn file_without_kv_namespaces_keeps_every_other_byte() {
    let out = edit_jsonc(COMMENTED, &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        expected(
            r#"// Worker config, kept by hand.
{
  /* the name wrangler deploys under */
  "name": "shop",   // trailing spaces before this comment stay
  "main": "src/index.ts",
  "compatibility_date": "2025-01-01",
  "compatibility_flags": [
    "nodejs_compat", // needed by Better Auth
  ],

  // Databases
  "d1_databases": [{ "binding": "DB", "database_name": "shop", "database_id": "x" }],
  "kv_namespaces": [
    // MARKER
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef",
    },
  ],
}
"#
        )
    );
}

#[test]
fn removing_what_was_added_restores_the_file() {
    for original in [
        COMMENTED,
        "{}",
        "{}\n",
        "{\n  \"name\": \"w\"\n}\n",
        "{\n\t\"name\": \"w\",\n\t\"env\": {\n\t\t\"staging\": {}\n\t}\n}\n",
    ] {
        let added = edit_jsonc(original, &top(vec![kv("KV", ID), kv("CACHE", ID2)]));
        assert_ne!(added, original);
        assert_eq!(edit_jsonc(&added, &Desired::default()), original);
    }
}

#[test]
fn appends_after_hand_written_entries_with_the_file_indentation() {
    let text = "{\n\t\"name\": \"w\",\n\t\"kv_namespaces\": [\n\t\t// ours? no: written by hand\n\t\t{ \"binding\": \"HAND\", \"id\": \"1\" }, // hand\n\t],\n}\n";
    let parsed = parse_jsonc(text);
    assert_eq!(kv_bindings(&parsed), [("HAND", false, None)]);
    let out = edit_jsonc(text, &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        expected(
            "{\n\t\"name\": \"w\",\n\t\"kv_namespaces\": [\n\t\t// ours? no: written by hand\n\t\t{ \"binding\": \"HAND\", \"id\": \"1\" }, // hand\n\t\t// MARKER\n\t\t{\n\t\t\t\"binding\": \"KV\",\n\t\t\t\"id\": \"0123456789abcdef0123456789abcdef\",\n\t\t},\n\t],\n}\n"
        )
    );
    let (removed, _) = changed_lines(text, &out);
    assert!(removed.is_empty(), "{removed:?}");
}

#[test]
fn single_line_array_is_opened_before_appending() {
    let text = "{\n    \"kv_namespaces\": [{ \"binding\": \"HAND\" }]\n}\n";
    let out = edit_jsonc(text, &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        expected(
            r#"{
    "kv_namespaces": [
        { "binding": "HAND" },
        // MARKER
        {
            "binding": "KV",
            "id": "0123456789abcdef0123456789abcdef"
        }
    ]
}
"#
        )
    );
}

#[test]
fn new_entries_write_only_wanted_keys_in_order() {
    let desired = top(vec![
        KvEntry {
            binding: "A".into(),
            id: None,
            preview_id: None,
            remote: false,
            marker: Default::default(),
        },
        KvEntry {
            binding: "B".into(),
            id: Some(ID.into()),
            preview_id: Some(PREVIEW.into()),
            remote: true,
            marker: Default::default(),
        },
    ]);
    let out = edit_jsonc("{\n  \"name\": \"w\"\n}\n", &desired);
    assert_eq!(
        out,
        expected(
            r#"{
  "name": "w",
  "kv_namespaces": [
    // MARKER
    {
      "binding": "A"
    },
    // MARKER
    {
      "binding": "B",
      "id": "0123456789abcdef0123456789abcdef",
      "preview_id": "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb",
      "remote": true
    }
  ]
}
"#
        )
    );
    assert!(!out.contains("experimental_remote"));
}

#[test]
fn a_binding_listed_twice_is_written_once() {
    let out = edit_jsonc("{}", &top(vec![kv("KV", ID), kv("KV", ID2)]));
    assert_eq!(out.matches("\"binding\": \"KV\"").count(), 1);
    assert!(out.contains(ID));
}

// ---- updating ----

/// A file whose `KV` entry the compiler owns, with things the user added to it.
const OWNED: &str = r#"{
  "name": "shop", // ünïcödé 日本語 ☕ before the entries
  "kv_namespaces": [
    { "binding": "HAND", "id": "11111111111111111111111111111111" },
    // Managed by quickback-kv: change the Quickback config, not this entry.
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef", // production namespace
      "note": "kept" /* a user key */
    },
  ],
}
"#;

#[test]
fn unchanged_wishes_leave_the_file_byte_for_byte() {
    assert_eq!(edit_jsonc(OWNED, &top(vec![kv("KV", ID)])), OWNED);
    assert_eq!(edit_jsonc(COMMENTED, &Desired::default()), COMMENTED);
}

#[test]
fn changing_an_id_changes_exactly_one_line() {
    let out = edit_jsonc(OWNED, &top(vec![kv("KV", ID2)]));
    let (removed, added) = changed_lines(OWNED, &out);
    assert_eq!(
        removed,
        ["      \"id\": \"0123456789abcdef0123456789abcdef\", // production namespace\n"]
    );
    assert_eq!(
        added,
        ["      \"id\": \"fedcba9876543210fedcba9876543210\", // production namespace\n"]
    );
}

#[test]
fn optional_keys_are_added_in_order_and_removed_when_unwanted() {
    let with_all = KvEntry {
        binding: "KV".into(),
        id: Some(ID.into()),
        preview_id: Some(PREVIEW.into()),
        remote: true,
        marker: Default::default(),
    };
    let out = edit_jsonc(OWNED, &top(vec![with_all]));
    let (removed, added) = changed_lines(OWNED, &out);
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(
        added,
        [
            format!("      \"preview_id\": \"{PREVIEW}\",\n"),
            "      \"remote\": true,\n".to_string()
        ]
    );
    assert!(
        out.contains("// production namespace\n      \"preview_id\""),
        "{out}"
    );

    // Back to an entry without id: the id line goes, with its comment.
    let bare = KvEntry {
        binding: "KV".into(),
        id: None,
        preview_id: None,
        remote: false,
        marker: Default::default(),
    };
    let out = edit_jsonc(&out, &top(vec![bare]));
    assert_eq!(
        out,
        r#"{
  "name": "shop", // ünïcödé 日本語 ☕ before the entries
  "kv_namespaces": [
    { "binding": "HAND", "id": "11111111111111111111111111111111" },
    // Managed by quickback-kv: change the Quickback config, not this entry.
    {
      "binding": "KV",
      "note": "kept" /* a user key */
    },
  ],
}
"#
    );

    // An id that comes back goes right after `binding`.
    let out = edit_jsonc(&out, &top(vec![kv("KV", ID2)]));
    assert!(out.contains("\"binding\": \"KV\",\n      \"id\": \"fedcba9876543210fedcba9876543210\",\n      \"note\""), "{out}");
}

#[test]
fn a_value_of_the_wrong_type_in_an_owned_entry_is_replaced() {
    let text = "{\"kv_namespaces\": [\n  // Managed by quickback-kv\n  {\"binding\": \"KV\", \"id\": 5, \"remote\": \"yes\"}\n]}";
    let out = edit_jsonc(
        text,
        &top(vec![KvEntry {
            remote: true,
            ..kv("KV", ID)
        }]),
    );
    assert!(
        out.contains(&format!("\"id\": \"{ID}\"")) && out.contains("\"remote\": true"),
        "{out}"
    );
}

// ---- removing ----

#[test]
fn owned_entries_no_longer_wanted_go_with_their_comments() {
    let text = r#"{
  "kv_namespaces": [
    { "binding": "FIRST" }, // Managed by quickback-kv (a comment of FIRST's line, not a marker)
    // Sessions, added by quickback-kv
    // Managed by quickback-kv: change the Quickback config, not this entry.
    {
      "binding": "OLD",
      "id": "0123456789abcdef0123456789abcdef"
    },
    /* Managed by quickback-kv */
    { "binding": "OLDER" },
    { "binding": "LAST" },
  ],
}
"#;
    let parsed = parse_jsonc(text);
    assert_eq!(
        kv_bindings(&parsed),
        [
            ("FIRST", false, None),
            ("OLD", true, None),
            ("OLDER", true, None),
            ("LAST", false, None)
        ]
    );
    let out = edit_jsonc(text, &Desired::default());
    assert_eq!(
        out,
        r#"{
  "kv_namespaces": [
    { "binding": "FIRST" }, // Managed by quickback-kv (a comment of FIRST's line, not a marker)
    { "binding": "LAST" },
  ],
}
"#
    );
}

#[test]
fn the_last_owned_entry_leaves_no_dangling_comma_or_key() {
    let text = "{\n  \"name\": \"w\",\n  \"kv_namespaces\": [\n    { \"binding\": \"HAND\" },\n    // Managed by quickback-kv\n    { \"binding\": \"KV\" }\n  ]\n}\n";
    assert_eq!(
        edit_jsonc(text, &Desired::default()),
        "{\n  \"name\": \"w\",\n  \"kv_namespaces\": [\n    { \"binding\": \"HAND\" }\n  ]\n}\n"
    );

    let only_ours = "{\n  \"kv_namespaces\": [\n    // Managed by quickback-kv\n    { \"binding\": \"KV\" }\n  ],\n  \"name\": \"w\"\n}\n";
    assert_eq!(
        edit_jsonc(only_ours, &Desired::default()),
        "{\n  \"name\": \"w\"\n}\n"
    );
}

#[test]
fn an_emptied_array_holding_a_user_comment_keeps_its_key() {
    let text = "{\n  \"kv_namespaces\": [\n    // Managed by quickback-kv\n    { \"binding\": \"KV\" },\n    // add namespaces here\n  ]\n}\n";
    assert_eq!(
        edit_jsonc(text, &Desired::default()),
        "{\n  \"kv_namespaces\": [\n    // add namespaces here\n  ]\n}\n"
    );
}

#[test]
fn a_hand_written_empty_array_is_left_alone() {
    let text = "{ \"kv_namespaces\": [] }";
    assert_eq!(edit_jsonc(text, &Desired::default()), text);
}

#[test]
fn a_second_owned_entry_for_one_binding_is_removed() {
    let text = "{\"kv_namespaces\": [\n  // Managed by quickback-kv\n  {\"binding\": \"KV\", \"id\": \"a\"},\n  // Managed by quickback-kv\n  {\"binding\": \"KV\", \"id\": \"b\"}\n]}";
    let out = edit_jsonc(text, &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        format!(
            "{{\"kv_namespaces\": [\n  // Managed by quickback-kv\n  {{\"binding\": \"KV\", \"id\": \"{ID}\"}}\n]}}"
        )
    );
}

// ---- hand-written entries ----

#[test]
fn hand_written_entries_are_reported_and_never_touched() {
    let text = "{\"kv_namespaces\": [ {\"binding\":\"KV\",\"id\":\"x\"} ]}";
    let parsed = parse_jsonc(text);
    let hand: Vec<&EntryFacts> = parsed.existing.hand_written_kv().map(|(_, e)| e).collect();
    assert_eq!(hand.len(), 1);
    assert_eq!(hand[0].binding.value, "KV");
    assert_eq!(&text[hand[0].binding.span.range()], "\"KV\"");
    // Not owned: nothing of it changes, not even with a different id wanted.
    // (The caller reports the duplicate binding; the editor only edits what it owns.)
    assert_eq!(edit(parsed, &Desired::default()), text);
    let out = edit_jsonc(text, &top(vec![kv("CACHE", ID)]));
    assert!(out.contains("{\"binding\":\"KV\",\"id\":\"x\"}"), "{out}");
}

// ---- environments ----

const WITH_ENV: &str = r#"{
  "name": "shop",
  "vars": { "MODE": "prod" },
  "env": {
    // Staging deploys from main.
    "staging": {
      "vars": { "MODE": "staging" },
      "d1_databases": [{ "binding": "DB", "database_id": "d" }]
    },
    "preview": { "name": "shop-preview" }
  }
}
"#;

#[test]
fn environments_are_listed_with_their_bindings() {
    let parsed = parse_jsonc(WITH_ENV);
    let names: Vec<&str> = parsed
        .existing
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["staging", "preview"]);
    let staging = &parsed.existing.environments[0];
    assert_eq!(staging.span.file, FILE);
    assert_eq!(&WITH_ENV[staging.span.range()], "\"staging\"");
    let all = bindings(&parsed);
    let bindings: Vec<(&str, &str, Option<&str>)> = all
        .iter()
        .map(|b| (b.0.as_str(), b.1.as_str(), b.2.as_deref()))
        .collect();
    assert_eq!(
        bindings,
        [
            ("MODE", "vars", None),
            ("MODE", "vars", Some("staging")),
            ("DB", "d1_databases", Some("staging"))
        ]
    );
}

#[test]
fn every_environment_gets_its_entries_and_missing_ones_are_created() {
    let desired = Desired {
        top: vec![kv("KV", ID)],
        environments: vec![
            ("staging".into(), vec![kv("KV", ID2)]),
            ("preview".into(), vec![kv("KV", ID)]),
            ("production".into(), vec![kv("KV", PREVIEW)]),
        ],
    };
    let out = edit_jsonc(WITH_ENV, &desired);
    assert_eq!(
        out,
        expected(
            r#"{
  "name": "shop",
  "vars": { "MODE": "prod" },
  "kv_namespaces": [
    // MARKER
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef"
    }
  ],
  "env": {
    // Staging deploys from main.
    "staging": {
      "vars": { "MODE": "staging" },
      "d1_databases": [{ "binding": "DB", "database_id": "d" }],
      "kv_namespaces": [
        // MARKER
        {
          "binding": "KV",
          "id": "fedcba9876543210fedcba9876543210"
        }
      ]
    },
    "preview": {
      "name": "shop-preview",
      "kv_namespaces": [
        // MARKER
        {
          "binding": "KV",
          "id": "0123456789abcdef0123456789abcdef"
        }
      ]
    },
    "production": {
      "kv_namespaces": [
        // MARKER
        {
          "binding": "KV",
          "id": "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"
        }
      ]
    }
  }
}
"#
        )
    );
    let parsed = parse_jsonc(&out);
    assert_eq!(
        kv_bindings(&parsed),
        [
            ("KV", true, None),
            ("KV", true, Some("staging")),
            ("KV", true, Some("preview")),
            ("KV", true, Some("production"))
        ]
    );

    // One environment's id changes: one line.
    let mut changed = desired.clone();
    changed.environments[0].1[0].id = Some(PREVIEW.into());
    let again = edit_jsonc(&out, &changed);
    let (removed, added) = changed_lines(&out, &again);
    assert_eq!((removed.len(), added.len()), (1, 1));
    assert_eq!(added[0], format!("          \"id\": \"{PREVIEW}\"\n"));
}

#[test]
fn env_is_created_when_absent() {
    let desired = Desired {
        top: vec![kv("KV", ID)],
        environments: vec![("staging".into(), vec![kv("KV", ID2)])],
    };
    let out = edit_jsonc("{\n  \"name\": \"w\",\n}\n", &desired);
    assert_eq!(
        out,
        expected(
            r#"{
  "name": "w",
  "kv_namespaces": [
    // MARKER
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef",
    },
  ],
  "env": {
    "staging": {
      "kv_namespaces": [
        // MARKER
        {
          "binding": "KV",
          "id": "fedcba9876543210fedcba9876543210",
        },
      ],
    },
  },
}
"#
        )
    );
}

#[test]
fn an_environment_without_wishes_is_not_created() {
    let desired = Desired {
        top: vec![kv("KV", ID)],
        environments: vec![("staging".into(), Vec::new())],
    };
    let out = edit_jsonc("{}", &desired);
    assert!(!out.contains("env"), "{out}");
}

#[test]
fn environments_not_listed_keep_hand_written_entries_and_lose_owned_ones() {
    let text = r#"{
  "env": {
    "staging": {
      "kv_namespaces": [
        { "binding": "HAND" },
        // Managed by quickback-kv
        { "binding": "KV" }
      ]
    },
    "untouched": { "kv_namespaces": [ { "binding": "HAND" } ] }
  }
}
"#;
    let out = edit_jsonc(text, &Desired::default());
    assert_eq!(
        out,
        r#"{
  "env": {
    "staging": {
      "kv_namespaces": [
        { "binding": "HAND" }
      ]
    },
    "untouched": { "kv_namespaces": [ { "binding": "HAND" } ] }
  }
}
"#
    );
}

#[test]
fn the_top_level_entries_go_before_env() {
    let text =
        "{\n  \"name\": \"w\",\n  \"env\": { \"staging\": {} },\n  \"main\": \"src/index.ts\"\n}";
    let out = edit_jsonc(text, &top(vec![kv("KV", ID)]));
    let kv_at = out.find("\"kv_namespaces\"").unwrap();
    assert!(kv_at < out.find("\"env\"").unwrap(), "{out}");
    assert!(
        out.starts_with("{\n  \"name\": \"w\",\n  \"kv_namespaces\": [\n"),
        "{out}"
    );
    assert!(
        out.ends_with("  \"env\": { \"staging\": {} },\n  \"main\": \"src/index.ts\"\n}"),
        "{out}"
    );
}

// ---- strict wrangler.json ----

const STRICT: &str = r#"{
  "name": "shop",
  "kv_namespaces": [
    { "binding": "KV", "id": "0123456789abcdef0123456789abcdef" },
    { "binding": "OTHER", "id": "22222222222222222222222222222222" }
  ]
}
"#;

#[test]
fn strict_json_owns_adopted_names_and_writes_no_comments() {
    let adopt = ["KV".to_string(), "CACHE".to_string()];
    let parsed = parse(FILE, STRICT, true, &adopt).unwrap();
    assert_eq!(
        kv_bindings(&parsed),
        [("KV", true, None), ("OTHER", false, None)]
    );

    let out = edit_json(
        STRICT,
        &["KV", "CACHE"],
        &top(vec![kv("KV", ID2), kv("CACHE", ID)]),
    );
    assert_eq!(
        out,
        r#"{
  "name": "shop",
  "kv_namespaces": [
    { "binding": "KV", "id": "fedcba9876543210fedcba9876543210" },
    { "binding": "OTHER", "id": "22222222222222222222222222222222" },
    {
      "binding": "CACHE",
      "id": "0123456789abcdef0123456789abcdef"
    }
  ]
}
"#
    );
    let (removed, added) = changed_lines(STRICT, &out);
    assert_eq!(
        removed.len(),
        2,
        "the KV line and OTHER's line, which gains a comma"
    );
    assert_eq!(added.len(), 6);
}

#[test]
fn strict_json_never_removes_an_entry() {
    assert_eq!(
        edit_json(STRICT, &["KV", "OTHER"], &Desired::default()),
        STRICT
    );
    // Keys of an adopted entry still follow the config.
    let bare = KvEntry {
        binding: "KV".into(),
        id: None,
        preview_id: None,
        remote: true,
        marker: Default::default(),
    };
    let out = edit_json(STRICT, &["KV"], &top(vec![bare]));
    assert!(
        out.contains("{ \"binding\": \"KV\", \"remote\": true }")
            || out.contains("\"remote\": true"),
        "{out}"
    );
    assert!(!out.contains(ID), "{out}");
    assert!(out.contains("\"OTHER\""));
}

#[test]
fn strict_json_creates_environments_without_comments() {
    let desired = Desired {
        top: vec![kv("KV", ID)],
        environments: vec![("staging".into(), vec![kv("KV", ID2)])],
    };
    let out = edit_json("{\n  \"name\": \"w\"\n}\n", &["KV"], &desired);
    assert_eq!(
        out,
        r#"{
  "name": "w",
  "kv_namespaces": [
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef"
    }
  ],
  "env": {
    "staging": {
      "kv_namespaces": [
        {
          "binding": "KV",
          "id": "fedcba9876543210fedcba9876543210"
        }
      ]
    }
  }
}
"#
    );
}

#[test]
fn a_marker_means_nothing_in_strict_json() {
    let text = "{\"kv_namespaces\": [\n  // Managed by quickback-kv\n  {\"binding\": \"KV\"}\n]}";
    let parsed = parse(FILE, text, true, &[]).unwrap();
    assert_eq!(kv_bindings(&parsed), [("KV", false, None)]);
    assert_eq!(edit(parsed, &Desired::default()), text);
}

// ---- spans ----

#[test]
fn spans_are_byte_offsets_past_non_ascii_text() {
    let parsed = parse_jsonc(OWNED);
    let all = bindings(&parsed);
    let spans: Vec<&str> = all.iter().map(|b| &OWNED[b.3.range()]).collect();
    assert_eq!(spans, ["\"HAND\"", "\"KV\""]);
    assert!(all.iter().all(|b| b.3.file == FILE));
    let text = "{\"vars\": {\"ÄÖÜ\": 1, \"B\": 2}, \"ai\": {\"binding\": \"AI\"}}";
    let parsed = parse_jsonc(text);
    let all = bindings(&parsed);
    let spans: Vec<&str> = all.iter().map(|b| &text[b.3.range()]).collect();
    assert_eq!(spans, ["\"ÄÖÜ\"", "\"B\"", "\"AI\""]);
}

#[test]
fn other_binding_kinds_are_reported() {
    let text = r#"{
  "d1_databases": [{ "binding": "DB" }, { "database_id": "no binding" }],
  "r2_buckets": [{ "binding": "BUCKET" }],
  "services": [{ "binding": "AUTH", "service": "auth" }],
  "ai": { "binding": "AI" },
  "durable_objects": { "bindings": [{ "name": "ROOM", "class_name": "Room" }] },
  "queues": { "producers": [{ "binding": "JOBS", "queue": "jobs" }], "consumers": [{ "queue": "jobs" }] },
  "send_email": [{ "name": "MAIL" }],
  "define": { "binding": "not a binding" },
  "routes": [{ "pattern": "example.com/*" }],
  "env": { "staging": { "r2_buckets": [{ "binding": "BUCKET" }] } }
}"#;
    let parsed = parse_jsonc(text);
    let all = bindings(&parsed);
    let found: Vec<(&str, &str, Option<&str>)> = all
        .iter()
        .map(|b| (b.0.as_str(), b.1.as_str(), b.2.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("DB", "d1_databases", None),
            ("BUCKET", "r2_buckets", None),
            ("AUTH", "services", None),
            ("AI", "ai", None),
            ("ROOM", "durable_objects.bindings", None),
            ("JOBS", "queues.producers", None),
            ("MAIL", "send_email", None),
            ("BUCKET", "r2_buckets", Some("staging")),
        ]
    );
    assert!(all.iter().all(|b| !b.4));
}

// ---- errors ----

#[test]
fn invalid_json_points_at_the_problem() {
    let text = "{\n  \"name\": \"café\"\n  \"main\": \"src/index.ts\"\n}";
    let d = error(text);
    assert_eq!(d.message, "wrangler.jsonc is not valid JSONC");
    assert_eq!(d.primary().message, "expected comma");
    // Where the comma belongs: right after `"café"` (é is two bytes).
    assert_eq!(d.primary().span.range(), 19..19);
    assert!(text[..19].ends_with("\"café\""));
    assert_eq!(
        d.help.as_deref(),
        Some("fix the JSON syntax; quickback-kv never rewrites a file it cannot parse")
    );

    let strict = parse(FILE, "{\"name\": 'w'}", true, &[]).err().unwrap();
    assert_eq!(strict.message, "wrangler.json is not valid JSON");
    assert_eq!(strict.primary().span.range(), 9..10);

    // Only what wrangler accepts: no unquoted keys, no hex numbers.
    for text in [
        "{name: \"w\"}",
        "{\"n\": 0x10}",
        "{\"n\": 1} {}",
        "{\"n\": [1,,]}",
        "{\"n\": 1 /* open",
    ] {
        let d = error(text);
        assert!(!pointed(text, &d).is_empty(), "{text}: {d:?}");
    }
    // Comments and trailing commas are JSONC, in both files.
    assert!(parse(FILE, "// c\n{\"a\": [1,],}", true, &[]).is_ok());
}

#[test]
fn the_root_must_be_an_object() {
    let d = error("[1, 2]");
    assert_eq!(d.message, "wrangler.jsonc must hold a JSON object");
    assert_eq!(d.primary().span.range(), 0..6);
    let d = error("  // nothing but a comment\n");
    assert_eq!(d.message, "wrangler.jsonc is empty");
    assert_eq!(d.primary().span.range(), 0..0);
    error("");
}

#[test]
fn wrong_shapes_are_diagnosed_precisely() {
    let cases: [(&str, &str, &str, &str); 8] = [
        (
            "{\"kv_namespaces\": {\"binding\": \"KV\"}}",
            "`kv_namespaces` in wrangler.jsonc has an unexpected shape",
            "this is not an array",
            "{\"binding\": \"KV\"}",
        ),
        (
            "{\"kv_namespaces\": [{\"binding\": \"A\"}, \"B\"]}",
            "`kv_namespaces` in wrangler.jsonc has an unexpected shape",
            "this entry is not an object",
            "\"B\"",
        ),
        (
            "{\"kv_namespaces\": [{\"binding\": 7}]}",
            "`kv_namespaces` in wrangler.jsonc has an unexpected shape",
            "`binding` must be a string",
            "7",
        ),
        (
            "{\"kv_namespaces\": [{\"id\": \"x\"}]}",
            "`kv_namespaces` in wrangler.jsonc has an unexpected shape",
            "this entry has no `binding`",
            "{\"id\": \"x\"}",
        ),
        (
            "{\"env\": [\"staging\"]}",
            "`env` in wrangler.jsonc has an unexpected shape",
            "this is not an object",
            "[\"staging\"]",
        ),
        (
            "{\"env\": {\"staging\": true}}",
            "environment `staging` in wrangler.jsonc has an unexpected shape",
            "this is not an object",
            "true",
        ),
        (
            "{\"env\": {\"staging\": {\"kv_namespaces\": null}}}",
            "`env.staging.kv_namespaces` in wrangler.jsonc has an unexpected shape",
            "this is not an array",
            "null",
        ),
        (
            "{\"env\": {\"s\": {}, \"s\": {}}}",
            "environment `s` is written twice in wrangler.jsonc",
            "written again here",
            "\"s\"",
        ),
    ];
    for (text, message, label, at) in cases {
        let d = error(text);
        assert_eq!(
            (
                d.message.as_str(),
                d.primary().message.as_str(),
                pointed(text, &d)
            ),
            (message, label, at),
            "{text}"
        );
    }
}

#[test]
fn a_key_the_editor_navigates_must_be_unique() {
    let text = "{\"kv_namespaces\": [], \"name\": \"w\", \"kv_namespaces\": []}";
    let d = error(text);
    assert_eq!(
        d.message,
        "`kv_namespaces` is written twice in wrangler.jsonc"
    );
    assert_eq!(d.primary().span.range(), 35..50);
    assert_eq!(d.labels[1].span.range(), 1..16);
    assert_eq!(
        error("{\"env\": {}, \"env\": {}}").message,
        "`env` is written twice in wrangler.jsonc"
    );
    // Elsewhere duplicates are wrangler's business.
    assert!(parse(FILE, "{\"name\": \"a\", \"name\": \"b\"}", false, &[]).is_ok());
}

// ---- line endings and style ----

#[test]
fn crlf_files_stay_crlf() {
    let text = "{\r\n  \"name\": \"w\"\r\n}\r\n";
    let out = edit_jsonc(text, &top(vec![kv("KV", ID)]));
    assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    assert!(
        out.contains(&format!("    // {MARKER_TEXT}\r\n    {{\r\n")),
        "{out:?}"
    );
}

#[test]
fn a_file_indented_with_four_spaces_gets_four_spaces() {
    let out = edit_jsonc("{\n    \"name\": \"w\"\n}", &top(vec![kv("KV", ID)]));
    assert!(
        out.contains("\n    \"kv_namespaces\": [\n        // "),
        "{out}"
    );
    assert!(
        out.contains("\n            \"binding\": \"KV\",\n"),
        "{out}"
    );
}

#[test]
fn a_single_line_file_is_opened_up() {
    let out = edit_jsonc("{ \"name\": \"w\" }", &top(vec![kv("KV", ID)]));
    assert_eq!(
        out,
        expected(
            r#"{
  "name": "w",
  "kv_namespaces": [
    // MARKER
    {
      "binding": "KV",
      "id": "0123456789abcdef0123456789abcdef"
    }
  ]
}"#
        )
    );
}

/// jsonc-parser's one layout rule for a container it inserts into: blank lines
/// directly inside its braces go. Pinned here because it is the one place an
/// edit touches bytes the compiler does not own.
#[test]
fn blank_lines_inside_the_braces_of_a_container_inserted_into_go() {
    let out = edit_jsonc(
        "{\n\n  \"name\": \"w\",\n\n  \"main\": \"x\"\n\n}\n",
        &top(vec![kv("KV", ID)]),
    );
    assert!(
        out.starts_with("{\n  \"name\": \"w\",\n\n  \"main\": \"x\",\n  \"kv_namespaces\": ["),
        "{out}"
    );
    assert!(out.ends_with("  ]\n}\n"), "{out}");
}

/// Every one-character deletion and a set of insertions over a commented file:
/// parsing never panics, and whatever parses is edited into text that parses
/// again and is stable under a second edit.
#[test]
fn mangled_files_never_panic() {
    let desired = Desired {
        top: vec![kv("KV", ID), kv("CACHE", ID2)],
        environments: vec![
            ("staging".into(), vec![kv("KV", ID2)]),
            ("new".into(), vec![kv("KV", ID)]),
        ],
    };
    let base = OWNED.replace(
        "  ],\n}\n",
        "  ],\n  \"env\": { \"staging\": { \"kv_namespaces\": [ /* x */ ] } }\n}\n",
    );
    assert!(parse(FILE, &base, false, &[]).is_ok());
    let boundaries: Vec<usize> = (0..=base.len())
        .filter(|&i| base.is_char_boundary(i))
        .collect();
    let mut parsed = 0;
    for window in boundaries.windows(2) {
        let (at, next) = (window[0], window[1]);
        let mut variants = vec![format!("{}{}", &base[..at], &base[next..])];
        for insert in ["{", "}", "[", "]", ",", ":", "\"", "//", "/*", "\n", "1"] {
            variants.push(format!("{}{insert}{}", &base[..at], &base[at..]));
        }
        for text in variants {
            let Ok(p) = parse(FILE, &text, false, &[]) else {
                continue;
            };
            parsed += 1;
            let out = edit(p, &desired);
            let again = parse(FILE, &out, false, &[]).unwrap_or_else(|d| {
                panic!("{}\n--- from ---\n{text}\n--- to ---\n{out}", d.message)
            });
            assert_eq!(edit(again, &desired), out, "unstable:\n{text}");
        }
    }
    assert!(parsed > 100, "{parsed}");
}

//! The binding kinds wrangler knows besides `kv_namespaces`: one table, read
//! the same way in TOML and JSON, so a config binding that clashes with any of
//! them is `kv::duplicate-binding` whatever the file's format.

use std::ops::Range;

use super::{Node, Shape};

/// Where a kind keeps its binding names.
enum Names {
    /// Every key of a table is a binding (`vars`, `text_blobs`, …).
    Keys,
    /// One table with the name in this field (`[ai] binding = "AI"`).
    One(&'static str),
    /// A list of tables, each with the name in this field.
    List(&'static str),
    /// A table whose `list` key holds tables with the name in `field`
    /// (`durable_objects.bindings`, `queues.producers`).
    Nested {
        list: &'static str,
        field: &'static str,
    },
    /// A table whose `list` key holds the names as strings (`secrets.required`).
    Strings { list: &'static str },
}

/// Every binding kind of wrangler's config, by top-level (or per-environment) key.
const KINDS: &[(&str, Names)] = &[
    ("vars", Names::Keys),
    ("text_blobs", Names::Keys),
    ("data_blobs", Names::Keys),
    ("wasm_modules", Names::Keys),
    ("ai", Names::One("binding")),
    ("browser", Names::One("binding")),
    ("images", Names::One("binding")),
    ("assets", Names::One("binding")),
    ("version_metadata", Names::One("binding")),
    ("media", Names::One("binding")),
    ("analytics", Names::One("binding")),
    ("stream", Names::One("binding")),
    ("d1_databases", Names::List("binding")),
    ("r2_buckets", Names::List("binding")),
    ("services", Names::List("binding")),
    ("hyperdrive", Names::List("binding")),
    ("vectorize", Names::List("binding")),
    ("analytics_engine_datasets", Names::List("binding")),
    ("mtls_certificates", Names::List("binding")),
    ("dispatch_namespaces", Names::List("binding")),
    ("pipelines", Names::List("binding")),
    ("workflows", Names::List("binding")),
    ("secrets_store_secrets", Names::List("binding")),
    ("worker_loaders", Names::List("binding")),
    ("vpc_services", Names::List("binding")),
    ("vpc_networks", Names::List("binding")),
    ("agent_memory", Names::List("binding")),
    ("ai_search", Names::List("binding")),
    ("ai_search_namespaces", Names::List("binding")),
    ("artifacts", Names::List("binding")),
    ("flagship", Names::List("binding")),
    ("k2", Names::List("binding")),
    ("unsafe_hello_world", Names::List("binding")),
    ("send_email", Names::List("name")),
    ("ratelimits", Names::List("name")),
    (
        "durable_objects",
        Names::Nested {
            list: "bindings",
            field: "name",
        },
    ),
    (
        "queues",
        Names::Nested {
            list: "producers",
            field: "binding",
        },
    ),
    (
        "logfwdr",
        Names::Nested {
            list: "bindings",
            field: "name",
        },
    ),
    (
        "unsafe",
        Names::Nested {
            list: "bindings",
            field: "name",
        },
    ),
    ("secrets", Names::Strings { list: "required" }),
];

/// Reports every binding name the value of `key` declares, if `key` is a binding
/// kind: `found(name, range of the name, kind)`. Values of an unexpected shape
/// declare nothing (wrangler itself reports them).
pub fn other_bindings<N: Node>(
    key: &str,
    node: &N,
    found: &mut dyn FnMut(String, Option<Range<usize>>, String),
) {
    let Some((_, names)) = KINDS.iter().find(|(k, _)| *k == key) else {
        return;
    };
    match names {
        Names::Keys => {
            if let Shape::Table(keys) = node.shape() {
                for (k, _) in keys {
                    found(k.name, k.range, key.to_string());
                }
            }
        }
        Names::One(field) => {
            if let Some((name, range)) = string_field(node, field) {
                found(name, range, key.to_string());
            }
        }
        Names::List(field) => list(node, field, &mut |name, range| {
            found(name, range, key.to_string())
        }),
        Names::Nested { list: inner, field } => {
            if let Shape::Table(keys) = node.shape()
                && let Some((_, items)) = keys.iter().find(|(k, _)| k.name == *inner)
            {
                list(items, field, &mut |name, range| {
                    found(name, range, format!("{key}.{inner}"))
                });
            }
        }
        Names::Strings { list: inner } => {
            if let Shape::Table(keys) = node.shape()
                && let Some((_, items)) = keys.iter().find(|(k, _)| k.name == *inner)
                && let Shape::Array(items) = items.shape()
            {
                for item in &items {
                    if let Shape::String(name) = item.shape() {
                        found(name, item.range(), format!("{key}.{inner}"));
                    }
                }
            }
        }
    }
}

fn list<N: Node>(node: &N, field: &str, found: &mut dyn FnMut(String, Option<Range<usize>>)) {
    if let Shape::Array(items) = node.shape() {
        for item in &items {
            if let Some((name, range)) = string_field(item, field) {
                found(name, range);
            }
        }
    }
}

fn string_field<N: Node>(node: &N, field: &str) -> Option<(String, Option<Range<usize>>)> {
    let Shape::Table(keys) = node.shape() else {
        return None;
    };
    let (_, value) = keys.iter().find(|(k, _)| k.name == field)?;
    match value.shape() {
        Shape::String(s) => Some((s, value.range())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{KINDS, Names};
    use crate::compile::{Contents, FileInput, Inputs, Options, compile};
    use crate::diagnostics::Code;

    const CONFIG: &str = r#"import { defineConfig, defineStorage } from "@quickback/compiler";
export default defineConfig({
  providers: { storage: defineStorage("kv", { binding: "TAKEN", namespaceId: "0f2ac74b498b48028cb68387c421e279" }) },
});
"#;

    /// The binding `TAKEN` declared by `kind`, in TOML and in JSON, at `path`
    /// (`""` for the top level, `"env.staging."` for an environment).
    fn declarations(kind: &str, names: &Names, path: &str) -> (String, String) {
        let json_path = |inner: String| match path {
            "" => format!("{{ {inner} }}"),
            _ => format!("{{ \"env\": {{ \"staging\": {{ {inner} }} }} }}"),
        };
        match names {
            Names::Keys => (
                format!("[{path}{kind}]\nTAKEN = \"v\"\n"),
                json_path(format!("\"{kind}\": {{ \"TAKEN\": \"v\" }}")),
            ),
            Names::One(field) => (
                format!("[{path}{kind}]\n{field} = \"TAKEN\"\n"),
                json_path(format!("\"{kind}\": {{ \"{field}\": \"TAKEN\" }}")),
            ),
            Names::List(field) => (
                format!("[[{path}{kind}]]\n{field} = \"TAKEN\"\n"),
                json_path(format!("\"{kind}\": [{{ \"{field}\": \"TAKEN\" }}]")),
            ),
            Names::Nested { list, field } => (
                format!("[[{path}{kind}.{list}]]\n{field} = \"TAKEN\"\n"),
                json_path(format!(
                    "\"{kind}\": {{ \"{list}\": [{{ \"{field}\": \"TAKEN\" }}] }}"
                )),
            ),
            Names::Strings { list } => (
                format!("[{path}{kind}]\n{list} = [\"OTHER\", \"TAKEN\"]\n"),
                json_path(format!(
                    "\"{kind}\": {{ \"{list}\": [\"OTHER\", \"TAKEN\"] }}"
                )),
            ),
        }
    }

    /// Every kind of the table, in both formats and both scopes, makes a KV
    /// binding of the same name `kv::duplicate-binding`, pointing at the name.
    #[test]
    fn every_kind_clashes_in_every_format_and_scope() {
        let options = Options {
            env_types_path: "src/env.d.ts".into(),
            session_adapter_path: "src/lib/kv-session-storage.ts".into(),
            cache_module_path: "src/lib/kv-cache.ts".into(),
            memory_kv_path: "src/lib/kv-memory.ts".into(),
            auth_module_path: "src/lib/auth.ts".into(),
            command: "quickback-kv build".into(),
        };
        let mut checked = 0;
        for (kind, names) in KINDS {
            for scope in ["", "env.staging."] {
                let (toml, json) = declarations(kind, names, scope);
                for (file, text) in [("wrangler.toml", toml), ("wrangler.jsonc", json)] {
                    let inputs = Inputs {
                        config: FileInput {
                            path: "quickback.config.ts".into(),
                            contents: Contents::Bytes(CONFIG.into()),
                        },
                        wrangler: vec![FileInput {
                            path: file.into(),
                            contents: Contents::Bytes(text.clone().into_bytes()),
                        }],
                        existing_outputs: Vec::new(),
                        auth_module: FileInput {
                            path: "src/lib/auth.ts".into(),
                            contents: Contents::Missing,
                        },
                        env: Default::default(),
                        packages: Vec::new(),
                        clock: None,
                    };
                    let c = compile(&inputs, &options);
                    let clashes: Vec<_> = c
                        .diagnostics
                        .iter()
                        .filter(|d| d.code == Code::KvDuplicateBinding)
                        .collect();
                    assert_eq!(
                        clashes.len(),
                        1,
                        "{kind} in {file}:\n{text}\n{:?}",
                        c.diagnostics
                    );
                    let span = clashes[0].primary().span;
                    assert_eq!(
                        c.files
                            .text(span.file)
                            .get(span.range())
                            .map(|t| t.trim_matches('"')),
                        Some("TAKEN"),
                        "{kind} in {file}"
                    );
                    assert!(c.outputs.is_empty(), "{kind} in {file}: nothing is written");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, KINDS.len() * 4);
    }

    /// Keys of wrangler's config that declare no binding names (or, like `env`
    /// and `previews`, hold whole scopes). A key in the pinned wrangler's schema
    /// that is neither here nor in [`KINDS`] fails [`table_matches_the_pinned_wrangler_schema`].
    const NOT_BINDINGS: &[&str] = &[
        "$schema",
        "access",
        "account_id",
        "addresses",
        "alias",
        "base_dir",
        "build",
        "cache",
        "cloudchamber",
        "compatibility_date",
        "compatibility_flags",
        "compliance_region",
        "connect",
        "containers",
        "define",
        "dependencies_instrumentation",
        "dev",
        "env",
        "exports",
        "find_additional_modules",
        "first_party_worker",
        "jsx_factory",
        "jsx_fragment",
        "keep_names",
        "keep_vars",
        "kv_namespaces",
        "limits",
        "logpush",
        "main",
        "migrations",
        "minify",
        "name",
        "no_bundle",
        "observability",
        "pages_build_output_dir",
        "placement",
        "preserve_file_names",
        "preview_urls",
        "previews",
        "python_modules",
        "route",
        "routes",
        "rules",
        "send_metrics",
        "site",
        "streaming_tail_consumers",
        "tail_consumers",
        "triggers",
        "tsconfig",
        "upload_source_maps",
        "workers_dev",
    ];

    /// The schema of a property with `$ref`s followed.
    fn resolved<'a>(
        schema: &'a serde_json::Value,
        node: &'a serde_json::Value,
    ) -> &'a serde_json::Value {
        match node["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            Some(name) => resolved(schema, &schema["definitions"][name]),
            None => node,
        }
    }

    /// Whether `node` (an object schema) has a string property `field`.
    fn has_string(schema: &serde_json::Value, node: &serde_json::Value, field: &str) -> bool {
        resolved(schema, &resolved(schema, node)["properties"][field])["type"] == "string"
    }

    /// The object schemas an array's items can be (`anyOf` alternatives included).
    fn items<'a>(
        schema: &'a serde_json::Value,
        node: &'a serde_json::Value,
    ) -> Vec<&'a serde_json::Value> {
        let node = resolved(schema, node);
        assert_eq!(node["type"], "array");
        let items = resolved(schema, &node["items"]);
        match items["anyOf"].as_array() {
            Some(alternatives) => alternatives.iter().map(|a| resolved(schema, a)).collect(),
            None => vec![items],
        }
    }

    /// [`KINDS`] against the `config-schema.json` of the wrangler pinned in
    /// `tests/package.json`: every key of the top level and of an environment is
    /// a kind of the table or listed in [`NOT_BINDINGS`] (so a wrangler upgrade
    /// that adds a kind fails here), and each kind's names are where the table says.
    #[test]
    fn table_matches_the_pinned_wrangler_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/node_modules/wrangler/config-schema.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "{path} is missing: run `npm ci --prefix tests` first"
            );
            eprintln!("SKIPPED: {path} is missing (npm ci --prefix tests installs it)");
            return;
        };
        let schema: serde_json::Value =
            serde_json::from_str(&text).expect("wrangler's schema is JSON");
        let mut keys = Vec::new();
        for scope in ["RawConfig", "RawEnvironment"] {
            let properties = schema["definitions"][scope]["properties"]
                .as_object()
                .expect(scope);
            keys.extend(properties.iter());
        }
        assert!(keys.len() > 50, "the schema lists wrangler's keys");
        let mut unknown: Vec<&str> = Vec::new();
        for (key, node) in keys {
            let node = resolved(&schema, node);
            let Some((_, names)) = KINDS.iter().find(|(k, _)| k == key) else {
                if !NOT_BINDINGS.contains(&key.as_str()) {
                    unknown.push(key);
                }
                continue;
            };
            match names {
                Names::Keys => assert_eq!(node["type"], "object", "{key}"),
                Names::One(field) => assert!(has_string(&schema, node, field), "{key}.{field}"),
                Names::List(field) => {
                    for item in items(&schema, node) {
                        assert!(has_string(&schema, item, field), "{key}[].{field}");
                    }
                }
                Names::Nested { list, field } => {
                    for item in items(&schema, &node["properties"][*list]) {
                        assert!(has_string(&schema, item, field), "{key}.{list}[].{field}");
                    }
                }
                Names::Strings { list } => {
                    let list = resolved(&schema, &node["properties"][*list]);
                    assert_eq!(list["items"]["type"], "string", "{key}.{list}");
                }
            }
        }
        unknown.sort_unstable();
        unknown.dedup();
        assert!(
            unknown.is_empty(),
            "keys of the pinned wrangler that are neither in KINDS nor in NOT_BINDINGS: {unknown:?}"
        );
        for (kind, _) in KINDS {
            assert!(
                ["RawConfig", "RawEnvironment"].iter().any(|scope| {
                    schema["definitions"][scope]["properties"]
                        .get(kind)
                        .is_some()
                }),
                "{kind} is not a key of the pinned wrangler"
            );
            assert!(
                !NOT_BINDINGS.contains(kind),
                "{kind} is both a kind and not a binding"
            );
        }
    }
}

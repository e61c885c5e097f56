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
        }
    }

    /// Every kind of the table, in both formats and both scopes, makes a KV
    /// binding of the same name `kv::duplicate-binding`, pointing at the name.
    #[test]
    fn every_kind_clashes_in_every_format_and_scope() {
        let options = Options {
            env_types_path: "src/env.d.ts".into(),
            session_adapter_path: "src/lib/kv-session-storage.ts".into(),
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
}

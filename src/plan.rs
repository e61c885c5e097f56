//! Decides what every scope of the wrangler config gets: the top level and each
//! environment. Wrangler does not inherit `kv_namespaces` into `[env.NAME]`, so
//! every managed binding goes into every environment, with the environment's own
//! ids when the config gives them and the top-level ones (and a warning) when not.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Via;
use crate::model::Resolved;
use crate::model::{Binding, KvModel};
use crate::span::Span;
use crate::validate;
use crate::wrangler::{Desired, Existing, KvEntry, Marker};

pub fn plan(model: &KvModel, existing: &Existing) -> (Desired, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if !model.in_use() {
        return (Desired::default(), diagnostics);
    }
    // The file's environments in file order, then those only the config names.
    let mut environments: Vec<(String, Span)> = existing
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.span))
        .collect();
    for name in model.environment_names() {
        if !environments.iter().any(|(n, _)| *n == name.value) {
            environments.push((name.value.clone(), name.origin.value_span));
        }
    }
    for environment in &existing.environments {
        diagnostics.extend(validate::check_environment_name(
            &environment.name,
            environment.span,
        ));
    }
    diagnostics.extend(interface_clashes(&environments));

    let top = model
        .bindings
        .iter()
        .map(|b| entry(b, b.id.as_ref(), b.preview_id.as_ref().map(|i| &i.value)))
        .collect();
    let mut desired = Desired {
        top,
        environments: Vec::new(),
    };
    for (name, span) in &environments {
        let entries = model
            .bindings
            .iter()
            .map(|b| match b.environment(name) {
                Some(own) if own.id.is_some() || own.id_failed => entry(
                    b,
                    own.id.as_ref(),
                    own.preview_id.as_ref().map(|i| &i.value),
                ),
                own => {
                    if let Some(id) = &b.id {
                        diagnostics.push(shares_namespace(b, name, *span, &id.value));
                    }
                    let preview = own
                        .and_then(|o| o.preview_id.as_ref())
                        .or(b.preview_id.as_ref());
                    // The top level's id, shared: the entry follows it, whatever its source.
                    KvEntry {
                        marker: Marker::Plain,
                        ..entry(b, b.id.as_ref(), preview.map(|i| &i.value))
                    }
                }
            })
            .collect();
        desired.environments.push((name.clone(), entries));
    }
    diagnostics.extend(duplicates(model, existing));
    (desired, diagnostics)
}

/// An entry with its own `id`: marked [`Marker::KeptId`] when that id is the wrangler file's.
fn entry(binding: &Binding, id: Option<&Resolved<String>>, preview_id: Option<&String>) -> KvEntry {
    let from_file = id.is_some_and(|i| i.origin.via == Via::WranglerFile);
    KvEntry {
        binding: binding.name.value.clone(),
        id: id.map(|i| i.value.clone()),
        preview_id: preview_id.cloned(),
        remote: binding.remote,
        marker: if from_file {
            Marker::KeptId
        } else {
            Marker::Plain
        },
    }
}

/// Where a binding is asked for: its name if written, else what declares it.
fn binding_span(binding: &Binding) -> Span {
    binding
        .name
        .origin
        .as_ref()
        .map_or(binding.declared_at, |o| o.value_span)
}

fn from_namespaces_entry(binding: &Binding) -> bool {
    binding
        .name
        .origin
        .as_ref()
        .is_some_and(|o| o.path.starts_with("providers.storage.namespaces"))
}

fn rename_hint(binding: &Binding) -> String {
    if from_namespaces_entry(binding) {
        "rename the binding in its `namespaces` entry".to_string()
    } else {
        "rename the KV binding with `defineStorage(\"kv\", { binding: \"...\" })`".to_string()
    }
}

fn shares_namespace(
    binding: &Binding,
    environment: &str,
    environment_span: Span,
    id: &str,
) -> Diagnostic {
    let name = &binding.name.value;
    let place = if from_namespaces_entry(binding) {
        format!("the `namespaces` entry of `{name}`")
    } else {
        "`defineStorage(\"kv\", { ... })`".to_string()
    };
    Diagnostic::new(
        Code::KvEnvironmentSharesNamespace,
        format!("environment `{environment}` shares KV namespace {id} with the top level"),
        environment_span,
        format!("`{name}` in `{environment}` gets the top-level id"),
    )
    .with_label(binding_span(binding), format!("`{name}` has no id for `{environment}`"))
    .with_help(format!(
        "give `{environment}` its own namespace: `environments: {{ {}: {{ namespaceId: \"...\" }} }}` in {place}",
        object_key(environment)
    ))
}

/// A property name as it would be written in the config.
fn object_key(name: &str) -> String {
    if validate::is_binding_name(name) {
        name.to_string()
    } else {
        crate::emit::ts::string_literal(name)
    }
}

/// Two environments whose interfaces in `env.d.ts` would have the same name.
fn interface_clashes(environments: &[(String, Span)]) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<String, (&str, Span)> = BTreeMap::new();
    let mut out = Vec::new();
    for (name, span) in environments {
        let interface = validate::environment_interface(name);
        match seen.get(&interface) {
            Some((first, first_span)) => out.push(
                Diagnostic::new(
                    Code::KvInvalidEnvironmentName,
                    format!(
                        "environments `{first}` and `{name}` would both be typed as `{interface}`"
                    ),
                    *span,
                    format!("`{name}` becomes `{interface}`"),
                )
                .with_label(*first_span, format!("`{first}` becomes `{interface}` too"))
                .with_help("rename one of the environments; `wrangler types` refuses them as well"),
            ),
            None => {
                seen.insert(interface, (name, *span));
            }
        }
    }
    out
}

/// A name the config binds to a KV namespace must not be a binding of another
/// kind in the wrangler file, in any scope: the compiler writes every KV binding
/// into every scope. (A hand-written `kv_namespaces` entry with the name is
/// adopted instead; see `crate::wrangler`.)
fn duplicates(model: &KvModel, existing: &Existing) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for binding in &model.bindings {
        let name = &binding.name.value;
        for other in existing.others.iter().filter(|b| &b.name == name) {
            let scope = other
                .environment
                .as_ref()
                .map_or(String::new(), |e| format!(" in `env.{e}`"));
            out.push(
                Diagnostic::new(
                    Code::KvDuplicateBinding,
                    format!("binding `{name}` is bound twice"),
                    other.span,
                    format!("`{name}` is already bound by `{}`{scope}", other.kind),
                )
                .with_label(
                    binding_span(binding),
                    format!("the config asks quickback-kv to bind `{name}` to a KV namespace"),
                )
                .with_help(format!(
                    "{}; `{name}` stays the `{}` binding",
                    rename_hint(binding),
                    other.kind
                )),
            );
        }
    }
    out
}

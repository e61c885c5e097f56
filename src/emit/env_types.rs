//! `src/env.d.ts`: the typed Env bindings, shaped as `wrangler types` shapes them:
//! a base interface where a binding missing from some environment is optional,
//! and one interface per environment (`staging` → `StagingEnv`).

use askama::Template;

use super::{Desired, Existing, Header, ts};
use crate::eval::Via;
use crate::model::{Binding, KvModel, Origin};
use crate::validate::{environment_interface, is_binding_name};

#[derive(Template)]
#[template(path = "env.d.ts", escape = "none")]
struct EnvTypes<'a> {
    header: &'a Header,
    bindings: Vec<BindingView>,
    environments: Vec<EnvironmentView>,
}

struct BindingView {
    /// A validated identifier.
    name: String,
    optional: bool,
    /// Comment-safe lines of the binding's JSDoc.
    doc: Vec<String>,
}

struct EnvironmentView {
    /// Comment-safe environment name.
    name: String,
    /// A validated identifier.
    interface: String,
    /// Validated identifiers, sorted.
    bindings: Vec<String>,
}

pub fn render(model: &KvModel, existing: &Existing, desired: &Desired, header: &Header) -> Result<String, askama::Error> {
    // Who is bound where: the top level is scope `None`.
    let scopes: Vec<Option<&str>> = std::iter::once(None).chain(desired.environments.iter().map(|(n, _)| Some(n.as_str()))).collect();
    let mut present: Vec<(String, Vec<Option<&str>>, Vec<String>)> = Vec::new();
    for binding in &model.bindings {
        present.push((binding.name.value.clone(), scopes.clone(), binding_doc(binding)));
    }
    for hand in existing.hand_written_kv().filter(|b| is_binding_name(&b.name)) {
        let scope = hand.environment.as_deref();
        match present.iter_mut().find(|(name, ..)| *name == hand.name) {
            Some((_, in_scopes, _)) if !in_scopes.contains(&scope) => in_scopes.push(scope),
            Some(_) => {}
            None => present.push((hand.name.clone(), vec![scope], vec!["Workers KV namespace declared by hand in the wrangler config.".to_string()])),
        }
    }
    present.sort_by(|a, b| a.0.cmp(&b.0));

    let bindings = present
        .iter()
        .map(|(name, in_scopes, doc)| BindingView {
            name: name.clone(),
            optional: scopes.iter().any(|s| !in_scopes.contains(s)),
            doc: doc.iter().map(|l| ts::comment_text(l)).collect(),
        })
        .collect();
    let environments = desired
        .environments
        .iter()
        .map(|(name, _)| EnvironmentView {
            name: ts::comment_text(name),
            interface: environment_interface(name),
            bindings: present.iter().filter(|(_, s, _)| s.contains(&Some(name.as_str()))).map(|(n, ..)| n.clone()).collect(),
        })
        .collect();
    EnvTypes { header, bindings, environments }.render()
}

fn binding_doc(b: &Binding) -> Vec<String> {
    let mut doc = Vec::new();
    match &b.id {
        Some(id) => {
            doc.push(describe("Workers KV namespace", &id.value, &id.origin));
            let others: Vec<&str> = b.id_sources[1..].iter().map(|s| s.origin.path.as_str()).collect();
            if !others.is_empty() {
                doc.push(format!("Also given by `{}`.", others.join("`, `")));
            }
        }
        None => doc.push("Workers KV namespace without a configured id: `wrangler deploy` creates it.".to_string()),
    }
    for env in &b.environments {
        if let Some(id) = &env.id {
            doc.push(describe(&format!("In `{}`: namespace", env.name.value), &id.value, &id.origin));
        }
    }
    doc
}

fn describe(what: &str, id: &str, origin: &Origin) -> String {
    match &origin.via {
        Via::Literal => format!("{what} `{id}`, from `{}`.", origin.path),
        Via::EnvVar(var) => format!("{what} from `{}`, read from `process.env.{var}` at build time.", origin.path),
        Via::EnvFallback(var) => format!("{what} `{id}`, from `{}` (the fallback, used when `{var}` is unset or empty).", origin.path),
    }
}

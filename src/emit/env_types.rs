//! `src/env.d.ts`: the typed Env bindings, shaped as `wrangler types` shapes them:
//! a base interface where a binding missing from some environment is optional,
//! and one interface per environment (`staging` → `StagingEnv`).

use std::collections::HashMap;

use askama::Template;

use super::{Desired, Existing, Header, ts};
use crate::eval::Via;
use crate::model::{Binding, KvModel, Origin};
use crate::validate::{environment_interface, is_binding_name};

/// What the Env types must say, whatever file they end up in: the generated
/// `env.d.ts` prints it (`render`), a foreign one is edited to say it
/// (`super::env_types_edit`). Every name is a validated identifier and every
/// doc line comment-safe.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Wanted {
    /// The members of the bindings interface (`CloudflareBindings`), sorted by name.
    pub bindings: Vec<WantedBinding>,
    /// One interface per environment, in the wrangler config's order.
    pub environments: Vec<WantedEnvironment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WantedBinding {
    /// A validated identifier.
    pub name: String,
    /// Missing from some scope, so `?:` (as `wrangler types` types it).
    pub optional: bool,
    /// Comment-safe lines of the binding's JSDoc (where its id came from).
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WantedEnvironment {
    /// Comment-safe environment name.
    pub name: String,
    /// A validated identifier: `staging` → `StagingEnv`.
    pub interface: String,
    /// Validated identifiers, sorted; every one required.
    pub bindings: Vec<String>,
}

#[derive(Template)]
#[template(path = "env.d.ts", escape = "none")]
struct EnvTypes<'a> {
    header: &'a Header,
    bindings: &'a [WantedBinding],
    environments: &'a [WantedEnvironment],
}

/// A KV binding and the scopes it is bound in (`None`: top level).
struct Present<'a> {
    name: String,
    scopes: Vec<Option<&'a str>>,
    doc: Vec<String>,
}

/// The one computation of what the Env types say: every KV binding of every
/// scope (the config's and those written by hand in the wrangler file), which
/// are optional, their docs, and each environment's bindings.
pub fn wanted(model: &KvModel, existing: &Existing, desired: &Desired) -> Wanted {
    // Who is bound where: the top level is scope `None`.
    let scopes: Vec<Option<&str>> = std::iter::once(None)
        .chain(desired.environments.iter().map(|(n, _)| Some(n.as_str())))
        .collect();
    let mut present: Vec<Present> = model
        .bindings
        .iter()
        .map(|b| Present {
            name: b.name.value.clone(),
            scopes: scopes.clone(),
            doc: binding_doc(b),
        })
        .collect();
    // By name: a file may hold many hand-written entries.
    let mut index: HashMap<String, usize> = present
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), i))
        .collect();
    for (scope, hand) in existing
        .hand_written_kv()
        .filter(|(_, b)| is_binding_name(&b.binding.value))
    {
        let name = &hand.binding.value;
        match index.get(name).and_then(|&i| present.get_mut(i)) {
            Some(p) if !p.scopes.contains(&scope) => p.scopes.push(scope),
            Some(_) => {}
            None => {
                index.insert(name.clone(), present.len());
                present.push(Present {
                    name: name.clone(),
                    scopes: vec![scope],
                    doc: vec![
                        "Workers KV namespace declared by hand in the wrangler config.".to_string(),
                    ],
                });
            }
        }
    }
    present.sort_by(|a, b| a.name.cmp(&b.name));

    let bindings = present
        .iter()
        .map(|p| WantedBinding {
            name: p.name.clone(),
            optional: scopes.iter().any(|s| !p.scopes.contains(s)),
            doc: p.doc.iter().map(|l| ts::comment_text(l)).collect(),
        })
        .collect();
    let environments = desired
        .environments
        .iter()
        .map(|(name, _)| WantedEnvironment {
            name: ts::comment_text(name),
            interface: environment_interface(name),
            bindings: present
                .iter()
                .filter(|p| p.scopes.contains(&Some(name.as_str())))
                .map(|p| p.name.clone())
                .collect(),
        })
        .collect();
    Wanted {
        bindings,
        environments,
    }
}

/// The generated `env.d.ts`.
pub fn render(wanted: &Wanted, header: &Header) -> Result<String, askama::Error> {
    EnvTypes {
        header,
        bindings: &wanted.bindings,
        environments: &wanted.environments,
    }
    .render()
}

fn binding_doc(b: &Binding) -> Vec<String> {
    let mut doc = Vec::new();
    match &b.id {
        Some(id) => {
            doc.push(describe("Workers KV namespace", &id.value, &id.origin));
            // The config's locations only: whether the wrangler file's entry counts
            // depends on whether it is marked yet, and the text must not flap.
            let others: Vec<&str> = b
                .id_sources
                .iter()
                .skip(1)
                .filter(|s| s.origin.via != Via::WranglerFile)
                .map(|s| s.origin.path.as_str())
                .collect();
            if !others.is_empty() {
                doc.push(format!("Also given by `{}`.", others.join("`, `")));
            }
        }
        None => doc.push(
            "Workers KV namespace without a configured id: `wrangler deploy` creates it."
                .to_string(),
        ),
    }
    for env in &b.environments {
        if let Some(id) = &env.id {
            doc.push(describe(
                &format!("In `{}`: namespace", env.name.value),
                &id.value,
                &id.origin,
            ));
        }
    }
    doc
}

fn describe(what: &str, id: &str, origin: &Origin) -> String {
    match &origin.via {
        Via::Literal | Via::WranglerFile => format!("{what} `{id}`, from `{}`.", origin.path),
        Via::EnvVar(var) => format!(
            "{what} from `{}`, read from `process.env.{var}` at build time.",
            origin.path
        ),
        Via::EnvFallback(var) => format!(
            "{what} `{id}`, from `{}` (the fallback, used when `{var}` is unset or empty).",
            origin.path
        ),
    }
}

//! `src/env.d.ts`: the typed Env bindings.

use askama::Template;

use super::{Header, ts};
use crate::eval::Via;
use crate::model::KvModel;

#[derive(Template)]
#[template(path = "env.d.ts", escape = "none")]
struct EnvTypes<'a> {
    header: &'a Header,
    bindings: Vec<BindingView>,
}

struct BindingView {
    /// A validated identifier.
    name: String,
    /// Comment-safe lines of the binding's JSDoc.
    doc: Vec<String>,
}

/// `hand_written`: KV bindings the wrangler file declares by hand, typed too so
/// that `env.d.ts` matches what `wrangler types` reads from the same file.
pub fn render(model: &KvModel, hand_written: &[String], header: &Header) -> Result<String, askama::Error> {
    let mut bindings: Vec<BindingView> = model
        .binding
        .iter()
        .map(|b| {
            let mut doc = Vec::new();
            match &b.id {
                Some(id) => {
                    let origin = &id.origin;
                    doc.push(match &origin.via {
                        Via::Literal => format!("Workers KV namespace `{}`, from `{}`.", id.value, origin.path),
                        Via::EnvVar(var) => format!("Workers KV namespace from `{}`, read from `process.env.{var}` at build time.", origin.path),
                        Via::EnvFallback(var) => format!(
                            "Workers KV namespace `{}`, from `{}` (the fallback, used when `{var}` is unset or empty).",
                            id.value, origin.path
                        ),
                    });
                    let others: Vec<&str> = b.id_sources[1..].iter().map(|s| s.origin.path.as_str()).collect();
                    if !others.is_empty() {
                        doc.push(format!("Also given by `{}`.", others.join("`, `")));
                    }
                }
                None => doc.push("Workers KV namespace without a configured id: `wrangler deploy` creates it.".to_string()),
            }
            BindingView { name: b.name.value.clone(), doc: doc.iter().map(|l| ts::comment_text(l)).collect() }
        })
        .collect();
    for name in hand_written {
        if crate::validate::is_binding_name(name) && !bindings.iter().any(|b| b.name == *name) {
            let doc = vec!["Workers KV namespace declared by hand in the wrangler config.".to_string()];
            bindings.push(BindingView { name: name.clone(), doc });
        }
    }
    bindings.sort_by(|a, b| a.name.cmp(&b.name));
    EnvTypes { header, bindings }.render()
}

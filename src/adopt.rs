//! The wrangler file as the lowest-precedence source of a binding's ids.
//!
//! An unmarked `kv_namespaces` entry whose binding the config asks for (one
//! pasted from `wrangler kv namespace create`, or Quickback's own output) is the
//! namespace the project already uses. Its `id` and `preview_id` join resolution
//! after every config location: used when the config gives none, fine when equal,
//! `kv::conflicting-namespace-ids` when different. In an environment the entry's
//! id is that environment's own, so it is not reported as sharing the top level's.
//! `remote = true` on such an entry is kept. An entry the compiler owns already
//! (marked, or by name in a strict `wrangler.json`) only lends its `id` when the
//! config gives none: that is how an adopted id survives once the entry is marked.

use crate::diagnostics::Diagnostic;
use crate::eval::Via;
use crate::model::{EnvironmentIds, KvModel, Origin, Resolved};
use crate::resolve::conflicts;
use crate::wrangler::{Existing, Marker, Owner, Text};

pub fn adopt(model: &mut KvModel, existing: &Existing, file_name: &str) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (scope, entry, owner) in existing.owned() {
        let Some(binding) = model
            .bindings
            .iter_mut()
            .find(|b| b.name.value == entry.binding.value)
        else {
            continue;
        };
        let place = match scope {
            None => "kv_namespaces".to_string(),
            Some(env) => format!("env.{env}.kv_namespaces"),
        };
        let path = |key: &str| format!("{place}.{key} in {file_name}");
        let id = entry
            .id
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|t| source(t, &path("id")));
        // Adopted: every value joins resolution. An entry marked as keeping its id,
        // or one owned by name in a strict wrangler.json at the top level, lends
        // only its id, and only when the config gives none. Everything else of an
        // owned entry follows the config.
        let adopted = owner == Owner::Adopted;
        let lends_id = match owner {
            Owner::Adopted | Owner::Marked(Marker::KeptId) => true,
            Owner::ByName => scope.is_none(),
            Owner::Marked(Marker::Plain) | Owner::HandWritten => false,
        };
        let id = id.filter(|_| lends_id);
        let preview = entry
            .preview_id
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .filter(|_| adopted)
            .map(|t| source(t, &path("preview_id")));
        if adopted && entry.remote == Some(true) {
            binding.remote = true;
        }
        match scope {
            None => {
                if let Some(id) = id {
                    if binding.id.is_none() && !binding.id_failed {
                        binding.id = Some(id.clone());
                        binding.id_sources.push(id);
                    } else if adopted && !binding.id_failed {
                        binding.id_sources.push(id);
                        diagnostics.extend(conflicts(&binding.id_sources));
                    }
                }
                diagnostics.extend(join(&mut binding.preview_id, preview));
            }
            Some(name) => {
                let index = match binding
                    .environments
                    .iter()
                    .position(|e| e.name.value == name)
                {
                    Some(index) => index,
                    None => {
                        let span = existing
                            .environments
                            .iter()
                            .find(|e| e.name == name)
                            .map_or(entry.span, |e| e.span);
                        binding.environments.push(EnvironmentIds {
                            name: Resolved {
                                value: name.to_string(),
                                origin: origin(&format!("{place} in {file_name}"), span),
                            },
                            id: None,
                            id_failed: false,
                            preview_id: None,
                        });
                        binding.environments.len() - 1
                    }
                };
                let Some(environment) = binding.environments.get_mut(index) else {
                    continue;
                };
                if !environment.id_failed {
                    let id = id.filter(|_| adopted || environment.id.is_none());
                    diagnostics.extend(join(&mut environment.id, id));
                }
                diagnostics.extend(join(&mut environment.preview_id, preview));
            }
        }
    }
    diagnostics
}

/// Takes the wrangler file's value when the config gives none; reports a difference.
fn join(
    config: &mut Option<Resolved<String>>,
    file: Option<Resolved<String>>,
) -> Option<Diagnostic> {
    let file = file?;
    match config {
        None => {
            *config = Some(file);
            None
        }
        Some(winner) => conflicts(&[winner.clone(), file]),
    }
}

fn source(text: &Text, path: &str) -> Resolved<String> {
    Resolved {
        value: text.value.clone(),
        origin: origin(path, text.span),
    }
}

fn origin(path: &str, span: crate::span::Span) -> Origin {
    Origin {
        path: path.to_string(),
        use_span: span,
        value_span: span,
        via: Via::WranglerFile,
    }
}

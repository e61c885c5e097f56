//! The `cache` option of a KV namespace (SPEC §3.6): `cache: true` or
//! `cache: { prefix, defaultTtl }`, read on demand like every other option.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{Object, Str, Via};
use crate::model::{Cache, DEFAULT_CACHE_PREFIX, Origin, Resolved, Setting};
use crate::syntax::ast::ExprKind;

impl<'m> Resolver<'_, 'm> {
    /// `<path>.cache`; `None` when absent, `false`, `undefined` or unreadable (reported).
    pub(super) fn cache(&mut self, o: &Object<'m>, path: &str) -> Option<Cache> {
        let path = format!("{path}.cache");
        let field = self.ok(o.get("cache", &path))??;
        if self.ev.is_undefined(field.value) {
            return None;
        }
        let target = self.ok(self.ev.deref(field.value, &path))?;
        if !matches!(target.kind, ExprKind::Object(_)) {
            let (on, _) = self.ok(self.ev.boolean(field.value, &path))?;
            return on.then(|| Cache {
                span: field.value.span,
                prefix: Setting::default(DEFAULT_CACHE_PREFIX.to_string()),
                default_ttl: None,
            });
        }
        let object = self.ok(self.ev.object(field.value, &path))?;
        self.check_keys(&crate::known_keys::CACHE, &object, &path);
        let prefix = match self.optional_string(&object, "prefix", &format!("{path}.prefix")) {
            Some(r) => Setting {
                value: r.value,
                origin: Some(r.origin),
            },
            None => Setting::default(DEFAULT_CACHE_PREFIX.to_string()),
        };
        Some(Cache {
            span: field.value.span,
            prefix,
            default_ttl: self.default_ttl(&object, &format!("{path}.defaultTtl")),
        })
    }

    /// `defaultTtl`: whole seconds (fractions round up, as KV's TTLs are whole
    /// seconds); not positive or not finite is `config::invalid-value`. The KV
    /// minimum is `validate`'s check.
    fn default_ttl(&mut self, o: &Object<'m>, path: &str) -> Option<Resolved<u64>> {
        let field = self.ok(o.get("defaultTtl", path))??;
        if self.ev.is_undefined(field.value) {
            return None;
        }
        let (n, span) = self.ok(self.ev.number(field.value, path))?;
        if !n.is_finite() || n <= 0.0 || n > u32::MAX as f64 {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigInvalidValue,
                    format!("`{path}` must be a positive number of seconds"),
                    span,
                    format!("this is {n}"),
                )
                .with_help("give `defaultTtl` a number of seconds, at least 60, or leave it out for entries that do not expire"),
            );
            return None;
        }
        Some(Resolved {
            value: n.ceil() as u64,
            origin: Origin {
                path: path.to_string(),
                use_span: field.value.span,
                value_span: span,
                via: Via::Literal,
            },
        })
    }

    /// `cache` on a storage provider that is not KV: there is no KV binding to cache in.
    pub(super) fn cache_on_other_storage(&mut self, o: &Object<'m>, provider: &Str) {
        let Some(field) = self.ok(o.get("cache", "providers.storage.cache")).flatten() else {
            return;
        };
        if self.ev.is_undefined(field.value) {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::KvCacheNotKv,
                format!(
                    "`cache` is set on the \"{}\" storage provider, which is not KV",
                    provider.value
                ),
                field.key_span,
                "the typed cache is built on a KV binding",
            )
            .with_label(provider.span, "this provider is not \"kv\"")
            .with_help("move `cache` to a KV namespace: defineStorage(\"kv\", { namespaceId, cache: true }) or an entry of its `namespaces`"),
        );
    }
}

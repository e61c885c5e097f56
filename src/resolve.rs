//! Reads the config module into the [`KvModel`]: finds the providers, evaluates
//! only the values KV depends on, and picks one namespace id per binding.
//! Resolution never stops at the first problem; it collects diagnostics.

use crate::diagnostics::{Code, Diagnostic, Edit};
use crate::eval::{Evaluator, Object, Str, Via};
use crate::model::*;
use crate::span::Span;
use crate::syntax::ast::{Element, Expr, ExprKind, ImportKind, Key};

/// The modules that export Quickback's config helpers.
pub const HELPER_MODULES: &[&str] = &[
    "@quickback/compiler",
    "@kardoe/quickback",
    "@quickback-dev/cli",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    /// Resolve what a new wrangler file needs (`name`, `compatibilityDate`).
    pub scaffold: bool,
}

pub fn resolve(
    ev: &Evaluator,
    file_span: Span,
    options: ResolveOptions,
) -> (KvModel, Vec<Diagnostic>) {
    let mut r = Resolver {
        ev,
        diagnostics: Vec::new(),
        failures: 0,
    };
    let model = r.config(file_span, options).unwrap_or_default();
    (model, r.diagnostics)
}

struct Resolver<'a, 'm> {
    ev: &'a Evaluator<'m>,
    diagnostics: Vec<Diagnostic>,
    /// Failed reads, counted even when their diagnostic was a repeat.
    failures: usize,
}

/// The options of one namespace spec, before its ids are known.
#[derive(Default)]
struct NamespaceOptions {
    name: Option<Resolved<String>>,
    preview_id: Option<Resolved<String>>,
    remote: bool,
    environments: Vec<EnvironmentIds>,
}

impl NamespaceOptions {
    fn into_binding(self, ids: IdReads, declared_at: Span) -> Binding {
        let name = match self.name {
            Some(b) => Setting {
                value: b.value,
                origin: Some(b.origin),
            },
            None => Setting::default(DEFAULT_BINDING.to_string()),
        };
        Binding {
            name,
            id: ids.sources.first().cloned(),
            id_sources: ids.sources,
            id_failed: ids.failed,
            preview_id: self.preview_id,
            remote: self.remote,
            environments: self.environments,
            declared_at,
        }
    }
}

#[derive(Default)]
struct IdReads {
    sources: Vec<Resolved<String>>,
    failed: bool,
}

/// A provider as written: `defineX("name", config)` or `{ name, config }`.
struct Provider<'m> {
    /// The provider expression (the call or the object).
    span: Span,
    name: Str,
    config: ProviderConfig<'m>,
}

enum ProviderConfig<'m> {
    None,
    Object(Object<'m>),
    /// `defineStorage("kv", "<namespace id>")`.
    Positional(&'m Expr),
}

impl<'a, 'm> Resolver<'a, 'm> {
    /// Records a diagnostic and turns the result into an option.
    /// Reading several keys past one unevaluable spread reports it once.
    fn ok<T>(&mut self, result: Result<T, Diagnostic>) -> Option<T> {
        result
            .map_err(|d| {
                self.failures += 1;
                let seen = self
                    .diagnostics
                    .iter()
                    .any(|o| o.code == d.code && o.primary().span == d.primary().span);
                if !seen {
                    self.diagnostics.push(d);
                }
            })
            .ok()
    }

    fn config(&mut self, file_span: Span, options: ResolveOptions) -> Option<KvModel> {
        let module = self.ev.module();
        let Some(export) = &module.default_export else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigNoDefaultExport,
                    "the config has no default export",
                    file_span,
                    "expected `export default defineConfig({ ... })`",
                )
                .with_help("end the file with `export default defineConfig({ ... })`"),
            );
            return None;
        };
        let config_expr = self.config_object_expr(export)?;
        let config = self.ok(self.ev.object(config_expr, "default export"))?;
        let mut model = KvModel::default();

        if options.scaffold {
            model.worker_name = self.optional_string(&config, "name", "name");
        }
        let providers = match self.ok(config.get("providers", "providers"))? {
            Some(field) => self.ok(self.ev.object(field.value, "providers"))?,
            None => return Some(model),
        };
        if options.scaffold
            && let Some(ProviderConfig::Object(o)) = self
                .provider(&providers, "runtime", "defineRuntime")
                .map(|p| p.config)
        {
            model.compatibility_date = self.optional_string(
                &o,
                "compatibilityDate",
                "providers.runtime.compatibilityDate",
            );
        }

        let mut ids = IdReads::default();
        let mut primary = NamespaceOptions::default();
        let mut more = Vec::new();
        // The first thing that turns KV on, for diagnostics about the binding as a whole.
        let mut declared_at: Option<Span> = None;

        if let Some(storage) = self.provider(&providers, "storage", "defineStorage")
            && storage.name.value == "kv"
        {
            declared_at = Some(storage.span);
            match &storage.config {
                ProviderConfig::Positional(expr) => {
                    let before = self.failures;
                    match self.ok(self.ev.string(expr, "providers.storage")) {
                        Some(id) => ids
                            .sources
                            .push(resolved(id, "providers.storage", expr.span)),
                        None => ids.failed |= self.failures > before,
                    }
                }
                ProviderConfig::Object(o) => {
                    self.read_id(o, "namespaceId", "providers.storage.namespaceId", &mut ids);
                    primary = self.namespace_options(o, "providers.storage");
                    more = self.namespaces(o);
                }
                ProviderConfig::None => {}
            }
        }

        let mut session = None;
        if let Some(auth) = self.provider(&providers, "auth", "defineAuth") {
            model.better_auth = auth.name.value == "better-auth";
            if let ProviderConfig::Object(o) = &auth.config {
                self.read_id(o, "kvId", "providers.auth.kvId", &mut ids);
                if model.better_auth {
                    session = self.session(o);
                }
            }
        }

        if let Some(database) = self.provider(&providers, "database", "defineDatabase")
            && let ProviderConfig::Object(o) = &database.config
        {
            self.read_id(
                o,
                "kvNamespaceId",
                "providers.database.kvNamespaceId",
                &mut ids,
            );
        }

        let declared_at = declared_at
            .or_else(|| ids.sources.first().map(|s| s.origin.use_span))
            .or_else(|| session.as_ref().and_then(|s: &Session| s.storage_span));
        if let Some(declared_at) = declared_at {
            self.check_conflicts(&ids.sources);
            model.bindings.push(primary.into_binding(ids, declared_at));
            model.bindings.extend(more);
            self.check_unique_bindings(&model.bindings);
        }
        if let (Some(primary), Some(session)) = (model.bindings.first(), &mut session) {
            match &session.binding.origin {
                None => session.binding.value = primary.name.value.clone(),
                Some(origin) if model.binding(&session.binding.value).is_none() => {
                    let names: Vec<String> = model
                        .bindings
                        .iter()
                        .map(|b| format!("`{}`", b.name.value))
                        .collect();
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::KvUnknownBinding,
                            format!(
                                "session binding `{}` is not a KV binding of this config",
                                session.binding.value
                            ),
                            origin.value_span,
                            "no KV namespace is bound under this name",
                        )
                        .with_help(match names.as_slice() {
                            [only] => format!(
                                "use the storage binding {only}, or leave `session.binding` out"
                            ),
                            _ => format!(
                                "use one of {}, or leave `session.binding` out to use `{}`",
                                names.join(", "),
                                primary.name.value
                            ),
                        }),
                    )
                }
                Some(_) => {}
            }
        }
        model.session = session;
        Some(model)
    }

    /// The expression holding the config object: the argument of `defineConfig(...)`,
    /// or the exported object itself (through consts).
    fn config_object_expr(&mut self, export: &'m Expr) -> Option<&'m Expr> {
        let expr = self.ok(self.ev.deref(export, "default export"))?;
        let ExprKind::Call { callee, args } = &expr.kind else {
            return Some(expr);
        };
        if self.helper_name(callee).as_deref() != Some("defineConfig") {
            self.diagnostics.push(unrecognized_helper(
                callee,
                "the default export",
                "defineConfig",
            ));
            return None;
        }
        match args.first() {
            Some(Element::Expr(arg)) => Some(arg),
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ConfigNoDefaultExport,
                        "`defineConfig` needs the config object as its argument",
                        expr.span,
                        "no config object here",
                    )
                    .with_help("write `export default defineConfig({ ... })`"),
                );
                None
            }
        }
    }

    /// The imported name of a helper call's callee, when it comes from a Quickback module.
    fn helper_name(&self, callee: &Expr) -> Option<String> {
        let module = self.ev.module();
        match &callee.kind {
            ExprKind::Ident(local) => {
                let import = module.import(local)?;
                match &import.kind {
                    ImportKind::Named(imported)
                        if HELPER_MODULES.contains(&import.source.as_str()) =>
                    {
                        Some(imported.clone())
                    }
                    _ => None,
                }
            }
            ExprKind::Member {
                object,
                property: Key::Static(name, _),
            } => {
                let ExprKind::Ident(ns) = &object.kind else {
                    return None;
                };
                let import = module.import(ns)?;
                (matches!(import.kind, ImportKind::Namespace | ImportKind::Default)
                    && HELPER_MODULES.contains(&import.source.as_str()))
                .then(|| name.clone())
            }
            _ => None,
        }
    }

    /// Reads `providers.<key>` in any accepted form; `None` when absent or broken
    /// (broken ones are reported).
    fn provider(
        &mut self,
        providers: &Object<'m>,
        key: &str,
        helper: &str,
    ) -> Option<Provider<'m>> {
        let path = format!("providers.{key}");
        let field = self.ok(providers.get(key, &path))??;
        let expr = self.ok(self.ev.deref(field.value, &path))?;
        match &expr.kind {
            ExprKind::Call { callee, args } => {
                if self.helper_name(callee).as_deref() != Some(helper) {
                    self.diagnostics.push(unrecognized_helper(
                        callee,
                        &format!("`{path}`"),
                        helper,
                    ));
                    return None;
                }
                let arg = |i: usize| match args.get(i) {
                    Some(Element::Expr(e)) => Ok(Some(e)),
                    Some(Element::Spread(e)) => Err(Diagnostic::new(
                        Code::ConfigNotConstant,
                        format!("`{path}` is not known at compile time"),
                        e.span,
                        "spread arguments are not evaluated",
                    )
                    .with_help(format!(
                        "pass the arguments directly: {helper}(\"name\", {{ ... }})"
                    ))),
                    _ => Ok(None),
                };
                let name_expr = match self.ok(arg(0))? {
                    Some(e) => e,
                    None => {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::ConfigWrongType,
                                format!("`{helper}` needs a provider name"),
                                expr.span,
                                "no provider name given",
                            )
                            .with_help(format!("write {helper}(\"name\", {{ ... }})")),
                        );
                        return None;
                    }
                };
                let name = self.ok(self.ev.string(name_expr, &format!("{path} name")))?;
                let config = match self.ok(arg(1))? {
                    None => ProviderConfig::None,
                    Some(config) => {
                        self.provider_config(config, &format!("{path} config"), key == "storage")?
                    }
                };
                Some(Provider {
                    span: expr.span,
                    name,
                    config,
                })
            }
            ExprKind::Object(_) => {
                let object = self.ok(self.ev.object(expr, &path))?;
                let name_field = match self.ok(object.get("name", &format!("{path}.name")))? {
                    Some(f) => f,
                    None => {
                        self.diagnostics.push(
                            Diagnostic::new(Code::ConfigWrongType, format!("`{path}` has no `name`"), expr.span, "a provider object needs `name` and `config`")
                                .with_help(format!("write {{ name: \"...\", config: {{ ... }} }} or {helper}(\"...\", {{ ... }})")),
                        );
                        return None;
                    }
                };
                let name = self.ok(self.ev.string(name_field.value, &format!("{path}.name")))?;
                let config = match self.ok(object.get("config", &format!("{path}.config")))? {
                    None => ProviderConfig::None,
                    Some(f) => self.provider_config(f.value, &format!("{path}.config"), false)?,
                };
                Some(Provider {
                    span: expr.span,
                    name,
                    config,
                })
            }
            _ => {
                // Not a provider shape: let the evaluator say why (function call, let binding, …).
                let result = self.ev.object(expr, &path).map(|_| ());
                if let Err(d) = result {
                    self.diagnostics.push(d);
                }
                None
            }
        }
    }

    fn provider_config(
        &mut self,
        expr: &'m Expr,
        path: &str,
        positional_allowed: bool,
    ) -> Option<ProviderConfig<'m>> {
        if self.ev.is_undefined(expr) {
            return Some(ProviderConfig::None);
        }
        let target = self.ok(self.ev.deref(expr, path))?;
        if positional_allowed && !matches!(target.kind, ExprKind::Object(_)) {
            return Some(ProviderConfig::Positional(expr));
        }
        self.ok(self.ev.object(expr, path))
            .map(ProviderConfig::Object)
    }

    /// Reads one namespace id location into `ids`, remembering a failed read so
    /// that a broken id is not also reported as a missing one.
    fn read_id(&mut self, object: &Object<'m>, key: &str, path: &str, ids: &mut IdReads) {
        let before = self.failures;
        match self.optional_string(object, key, path) {
            Some(id) => ids.sources.push(id),
            None => ids.failed |= self.failures > before,
        }
    }

    /// The options every namespace spec shares: `binding`, `previewId`, `remote`, `environments`.
    fn namespace_options(&mut self, o: &Object<'m>, path: &str) -> NamespaceOptions {
        let remote = match self
            .ok(o.get("remote", &format!("{path}.remote")))
            .flatten()
        {
            Some(f) if !self.ev.is_undefined(f.value) => self
                .ok(self.ev.boolean(f.value, &format!("{path}.remote")))
                .is_some_and(|(b, _)| b),
            _ => false,
        };
        NamespaceOptions {
            name: self.optional_string(o, "binding", &format!("{path}.binding")),
            preview_id: self.optional_string(o, "previewId", &format!("{path}.previewId")),
            remote,
            environments: self.environments(o, path),
        }
    }

    /// `environments: { <name>: { namespaceId, previewId } }`.
    fn environments(&mut self, o: &Object<'m>, path: &str) -> Vec<EnvironmentIds> {
        let path = format!("{path}.environments");
        let Some(field) = self.ok(o.get("environments", &path)).flatten() else {
            return Vec::new();
        };
        if self.ev.is_undefined(field.value) {
            return Vec::new();
        }
        let Some(object) = self.ok(self.ev.object(field.value, &path)) else {
            return Vec::new();
        };
        let Some(fields) = self.ok(object.fields(&path)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, env) in fields {
            let env_path = format!("{path}.{name}");
            let Some(env_object) = self.ok(self.ev.object(env.value, &env_path)) else {
                continue;
            };
            let mut ids = IdReads::default();
            self.read_id(
                &env_object,
                "namespaceId",
                &format!("{env_path}.namespaceId"),
                &mut ids,
            );
            let name = Resolved {
                value: name.to_string(),
                origin: Origin {
                    path: env_path.clone(),
                    use_span: env.key_span,
                    value_span: env.key_span,
                    via: Via::Literal,
                },
            };
            out.push(EnvironmentIds {
                name,
                id: ids.sources.into_iter().next(),
                id_failed: ids.failed,
                preview_id: self.optional_string(
                    &env_object,
                    "previewId",
                    &format!("{env_path}.previewId"),
                ),
            });
        }
        out
    }

    /// `namespaces: [{ binding, namespaceId, previewId, remote, environments }]`.
    fn namespaces(&mut self, storage: &Object<'m>) -> Vec<Binding> {
        let path = "providers.storage.namespaces";
        let Some(field) = self.ok(storage.get("namespaces", path)).flatten() else {
            return Vec::new();
        };
        if self.ev.is_undefined(field.value) {
            return Vec::new();
        }
        let Some(items) = self.ok(self.ev.array(field.value, path)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let Some(o) = self.ok(self.ev.object(item, &item_path)) else {
                continue;
            };
            let mut ids = IdReads::default();
            self.read_id(
                &o,
                "namespaceId",
                &format!("{item_path}.namespaceId"),
                &mut ids,
            );
            let options = self.namespace_options(&o, &item_path);
            if options.name.is_none() {
                let failed = self.ok(o.get("binding", &item_path)).flatten().is_some();
                if !failed {
                    self.diagnostics.push(
                        Diagnostic::new(Code::ConfigWrongType, format!("`{item_path}` has no `binding`"), item.span, "this namespace has no binding name")
                            .with_help("add `binding: \"NAME\"`: the name the Worker reads it under, as in `env.NAME`"),
                    );
                }
                continue;
            }
            out.push(options.into_binding(ids, item.span));
        }
        out
    }

    /// One binding name, one namespace: across the storage binding and `namespaces`.
    fn check_unique_bindings(&mut self, bindings: &[Binding]) {
        for (i, later) in bindings.iter().enumerate() {
            let Some(first) = bindings[..i]
                .iter()
                .find(|b| b.name.value == later.name.value)
            else {
                continue;
            };
            let at = |b: &Binding| {
                b.name
                    .origin
                    .as_ref()
                    .map_or(b.declared_at, |o| o.value_span)
            };
            let first_label = match &first.name.origin {
                Some(o) => format!("first bound by `{}`", o.path),
                None => format!(
                    "`{}` is the storage binding's default name",
                    first.name.value
                ),
            };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::KvDuplicateBinding,
                    format!("binding `{}` is bound twice", later.name.value),
                    at(later),
                    "bound again here",
                )
                .with_label(at(first), first_label)
                .with_help("give each namespace its own `binding` name"),
            );
        }
    }

    /// An optional string option: absent or `undefined` is `None`.
    fn optional_string(
        &mut self,
        object: &Object<'m>,
        key: &str,
        path: &str,
    ) -> Option<Resolved<String>> {
        let field = self.ok(object.get(key, path))??;
        if self.ev.is_undefined(field.value) {
            return None;
        }
        let value = self.ok(self.ev.string(field.value, path))?;
        Some(resolved(value, path, field.value.span))
    }

    fn session(&mut self, auth: &Object<'m>) -> Option<Session> {
        let field = self.ok(auth.get("session", "providers.auth.session"))??;
        let o = self.ok(self.ev.object(field.value, "providers.auth.session"))?;
        let storage = self.optional_string(&o, "storage", "providers.auth.session.storage");
        let setting = |r: Option<Resolved<String>>, default: &str| match r {
            Some(r) => Setting {
                value: r.value,
                origin: Some(r.origin),
            },
            None => Setting::default(default.to_string()),
        };
        let binding = self.optional_string(&o, "binding", "providers.auth.session.binding");
        let key_prefix = self.optional_string(&o, "keyPrefix", "providers.auth.session.keyPrefix");
        // KV is the default when KV is in use (as Quickback documents); only
        // `"database"` keeps sessions out of it.
        let stored_in_kv = match &storage {
            None => true,
            Some(s) if s.value == "kv" => true,
            Some(s) if s.value == "database" => false,
            Some(s) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ConfigInvalidValue,
                        format!(
                            "`providers.auth.session.storage` is {:?}, not \"kv\" or \"database\"",
                            s.value
                        ),
                        s.origin.value_span,
                        "sessions are stored in KV or in the database",
                    )
                    .with_help("write \"kv\" (the default when KV is used) or \"database\""),
                );
                true
            }
        };
        let kv_only_path = "providers.auth.session.kvOnly";
        let kv_only = match self.ok(o.get("kvOnly", kv_only_path)).flatten() {
            Some(f) if !self.ev.is_undefined(f.value) => self
                .ok(self.ev.boolean(f.value, kv_only_path))
                .and_then(|(b, span)| b.then_some(span)),
            _ => None,
        };
        Some(Session {
            stored_in_kv,
            kv_only,
            storage_span: storage
                .filter(|s| s.value == "kv")
                .map(|s| s.origin.use_span),
            binding: setting(binding, DEFAULT_BINDING),
            key_prefix: setting(key_prefix, DEFAULT_KEY_PREFIX),
            expires_in: self.seconds(&o, "expiresIn", "expiresInDays", DEFAULT_SESSION_EXPIRES_IN),
            update_age: self.seconds(
                &o,
                "updateAge",
                "updateAgeInDays",
                DEFAULT_SESSION_UPDATE_AGE,
            ),
        })
    }

    /// A duration given in seconds (`seconds_key`) or days (`days_key`), not both.
    fn seconds(
        &mut self,
        o: &Object<'m>,
        seconds_key: &str,
        days_key: &str,
        default: u64,
    ) -> Setting<u64> {
        let base = "providers.auth.session";
        let seconds = self
            .ok(o.get(seconds_key, &format!("{base}.{seconds_key}")))
            .flatten();
        let days = self
            .ok(o.get(days_key, &format!("{base}.{days_key}")))
            .flatten();
        let seconds = seconds.filter(|f| !self.ev.is_undefined(f.value));
        let days = days.filter(|f| !self.ev.is_undefined(f.value));
        if let (Some(s), Some(d)) = (&seconds, &days) {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigConflictingOptions,
                    format!("`{seconds_key}` and `{days_key}` are both set"),
                    d.key_span,
                    format!("`{days_key}` is set here"),
                )
                .with_label(s.key_span, format!("`{seconds_key}` is set here"))
                .with_help(format!(
                    "keep one: `{seconds_key}` in seconds, or `{days_key}` in days"
                )),
            );
            return Setting::default(default);
        }
        let (field, key, unit) = match (seconds, days) {
            (Some(f), None) => (f, seconds_key, 1.0),
            (None, Some(f)) => (f, days_key, 86_400.0),
            _ => return Setting::default(default),
        };
        let path = format!("{base}.{key}");
        let Some((n, span)) = self.ok(self.ev.number(field.value, &path)) else {
            return Setting::default(default);
        };
        let total = n * unit;
        if !total.is_finite() || total <= 0.0 || total > u32::MAX as f64 {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigInvalidValue,
                    format!("`{path}` must be a positive duration"),
                    span,
                    format!("this is {n}"),
                )
                .with_help(format!("give `{key}` a number greater than 0")),
            );
            return Setting::default(default);
        }
        let origin = Origin {
            path,
            use_span: field.value.span,
            value_span: span,
            via: Via::Literal,
        };
        Setting {
            value: total.ceil() as u64,
            origin: Some(origin),
        }
    }

    fn check_conflicts(&mut self, sources: &[Resolved<String>]) {
        self.diagnostics.extend(conflicts(sources));
    }
}

/// `kv::conflicting-namespace-ids` when the locations giving one value disagree
/// (`sources` in resolution order: the winner first).
pub fn conflicts(sources: &[Resolved<String>]) -> Option<Diagnostic> {
    let winner = sources.first()?;
    let losers: Vec<_> = sources.iter().filter(|s| s.value != winner.value).collect();
    let first = losers.first()?;
    let mut d = Diagnostic::new(
        Code::KvConflictingNamespaceIds,
        format!(
            "`{}` and `{}` give different namespace ids",
            winner.origin.path, first.origin.path
        ),
        first.origin.value_span,
        format!("`{}` gives \"{}\"", first.origin.path, first.value),
    );
    for loser in &losers[1..] {
        d = d.with_label(
            loser.origin.value_span,
            format!("`{}` gives \"{}\"", loser.origin.path, loser.value),
        );
    }
    d = d
            .with_label(
                winner.origin.value_span,
                format!("`{}` gives \"{}\" and would win: it comes first", winner.origin.path, winner.value),
            )
            .with_help(format!(
                "make every location give the same id, or keep only `{}`; ids are taken from the storage provider, then auth `kvId`, then database `kvNamespaceId`, then the wrangler file",
                winner.origin.path
            ));
    // A quick fix only where every losing value is a literal written at its use site.
    let editable = losers.iter().all(|l| {
        matches!(l.origin.via, Via::Literal | Via::WranglerFile)
            && l.origin.use_span == l.origin.value_span
    });
    if editable {
        let edits = losers
            .iter()
            .map(|l| Edit {
                span: l.origin.value_span,
                replacement: crate::emit::ts::string_literal(&winner.value),
            })
            .collect();
        d = d.with_fix(format!("use \"{}\" everywhere", winner.value), edits);
    }
    Some(d)
}

fn resolved(value: Str, path: &str, use_span: Span) -> Resolved<String> {
    Resolved {
        value: value.value,
        origin: Origin {
            path: path.to_string(),
            use_span,
            value_span: value.span,
            via: value.via,
        },
    }
}

fn unrecognized_helper(callee: &Expr, place: &str, helper: &str) -> Diagnostic {
    let name = match &callee.kind {
        ExprKind::Ident(n) => format!("`{n}`"),
        _ => "this function".to_string(),
    };
    Diagnostic::new(
        Code::ConfigUnrecognizedProvider,
        format!("{place} calls {name}, which is not Quickback's `{helper}`"),
        callee.span,
        format!("not imported from {}", HELPER_MODULES[0]),
    )
    .with_help(format!(
        "add `import {{ {helper} }} from \"{}\";` (or write a plain object)",
        HELPER_MODULES[0]
    ))
}

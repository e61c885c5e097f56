//! The facts the wiring needs from the app's auth module (`src/lib/auth.ts`):
//! its imports, every call of Better Auth's `betterAuth`, the options object
//! of each call with byte spans, and the parameters of the functions around it.
//!
//! swc types stay here: the result is plain data with our own spans. The walk
//! uses an explicit work list, never recursion, and visits each node once; the
//! depth pre-scan of `syntax::depth` bounds the tree swc builds (the parse, like
//! the config's, runs on the compile thread's large stack).

use swc_common::Spanned;
use swc_ecma_ast as swc;

use super::lower::Lowerer;
use crate::span::{FileId, Span};

/// The modules `betterAuth` is recognised from.
pub const BETTER_AUTH_MODULES: [&str; 2] = ["better-auth", "better-auth/minimal"];
/// Workers' module-level env: `import { env } from "cloudflare:workers"`.
const CLOUDFLARE_WORKERS: &str = "cloudflare:workers";

/// What the wiring knows of an auth module.
#[derive(Debug, Clone, Default)]
pub struct AuthModule {
    /// Top-level import declarations, in file order.
    pub imports: Vec<ImportDecl>,
    /// Every call of the imported `betterAuth`, in file order.
    pub calls: Vec<BetterAuthCall>,
    /// The local name of `env` imported from `cloudflare:workers`, if any.
    pub workers_env: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ImportDecl {
    /// The whole declaration, `import` to `;`.
    pub span: Span,
    pub source: String,
    /// Local names it binds.
    pub locals: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct BetterAuthCall {
    /// The call's callee (`betterAuth`), for diagnostics.
    pub callee: Span,
    pub options: OptionsArg,
    /// Parameters of the enclosing functions, the innermost function first.
    pub scopes: Vec<Vec<Param>>,
    /// Per entry of `scopes`: the plain names its function body declares
    /// (`const env = …`, at any block depth, not in nested functions), with where.
    pub declared: Vec<Vec<(String, Span)>>,
}

/// The first argument of `betterAuth(...)`.
#[derive(Debug, Clone)]
pub enum OptionsArg {
    /// `betterAuth()`.
    Missing,
    /// A spread argument or something other than an object literal.
    Other(Span),
    Object(ObjectLit),
}

/// An object literal (parentheses, `as`, `satisfies` and `!` around it looked through).
#[derive(Debug, Clone)]
pub struct ObjectLit {
    /// From `{` to `}` inclusive.
    pub span: Span,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone)]
pub struct Member {
    /// The whole member, without a following comma.
    pub span: Span,
    pub kind: MemberKind,
}

#[derive(Debug, Clone)]
pub enum MemberKind {
    /// `key: value` or shorthand `key` with a statically known key.
    Property { key: String, value: Value },
    /// `...expr`.
    Spread,
    /// A computed key, a method, getter or setter: its key may be anything.
    Opaque { key: Option<String> },
}

#[derive(Debug, Clone)]
pub enum Value {
    /// An object literal (only lowered directly inside the options object).
    Object(ObjectLit),
    Other(Span),
}

/// One function parameter, as far as finding the Worker's env needs it.
#[derive(Debug, Clone)]
pub struct Param {
    /// `None` for a destructuring pattern.
    pub name: Option<String>,
    pub span: Span,
    /// `env?: T`, `env: T | undefined` or a default value: the function may run without it.
    pub optional: bool,
    /// The annotated type's name when it is a plain type reference (`CloudflareBindings`).
    pub type_name: Option<String>,
}

/// Why a module could not be read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub span: Span,
    pub message: String,
}

/// Parses a module and extracts the facts, or says where it stops being TypeScript.
pub fn read(file: FileId, path: &str, text: &str) -> Result<AuthModule, Unreadable> {
    let module = super::parse_swc(file, path, text, None).map_err(|failure| match failure {
        super::Failure::TooDeep(span, _) => Unreadable {
            span: Span::new(file, span.start, span.start),
            message: "nested too deeply to analyse safely".to_string(),
        },
        super::Failure::Syntax(errors) => {
            let (span, message) = errors
                .into_iter()
                .next()
                .unwrap_or_else(|| (Span::file_start(file), "not valid TypeScript".to_string()));
            Unreadable { span, message }
        }
    })?;
    let facts = Walk::new(Lowerer::new(file)).module(&module);
    super::drop_in_background(module, text.len());
    Ok(facts)
}

/// A function's parameters and the function around it, by index into `Walk::scopes`.
struct Scope {
    params: Vec<Param>,
    parent: Option<usize>,
    /// Names declared by `var`/`let`/`const` in the function's body, with spans.
    declared: Vec<(String, Span)>,
}

/// A node still to visit, with the index of its innermost enclosing function.
enum Work<'a> {
    Item(&'a swc::ModuleItem, Option<usize>),
    Stmt(&'a swc::Stmt, Option<usize>),
    Expr(&'a swc::Expr, Option<usize>),
    Pat(&'a swc::Pat, Option<usize>),
    Class(&'a swc::Class, Option<usize>),
    /// A function body with its parameters' default values.
    Function {
        params: Vec<&'a swc::Pat>,
        body: FunctionBody<'a>,
        scope: usize,
    },
}

enum FunctionBody<'a> {
    Block(Option<&'a swc::FunctionBody>),
    Expr(&'a swc::Expr),
}

struct Walk<'a> {
    lowerer: Lowerer,
    scopes: Vec<Scope>,
    work: Vec<Work<'a>>,
    /// Local names bound to `betterAuth`.
    direct: Vec<String>,
    /// Local names of `import * as X from "better-auth"`.
    namespaces: Vec<String>,
    /// Each call's innermost enclosing function, to fill `declared` at the end.
    call_scopes: Vec<Option<usize>>,
    out: AuthModule,
}

impl<'a> Walk<'a> {
    fn new(lowerer: Lowerer) -> Walk<'a> {
        Walk {
            lowerer,
            scopes: Vec::new(),
            work: Vec::new(),
            direct: Vec::new(),
            namespaces: Vec::new(),
            call_scopes: Vec::new(),
            out: AuthModule::default(),
        }
    }

    fn module(mut self, module: &'a swc::Module) -> AuthModule {
        for item in &module.body {
            if let swc::ModuleItem::ModuleDecl(swc::ModuleDecl::Import(import)) = item {
                self.import(import);
            }
        }
        // Pushed in reverse so items are visited, and calls found, in file order.
        for item in module.body.iter().rev() {
            self.work.push(Work::Item(item, None));
        }
        while let Some(work) = self.work.pop() {
            match work {
                Work::Item(item, scope) => self.item(item, scope),
                Work::Stmt(stmt, scope) => self.stmt(stmt, scope),
                Work::Expr(expr, scope) => self.expr(expr, scope),
                Work::Pat(pat, scope) => self.pat(pat, scope),
                Work::Class(class, scope) => self.class(class, scope),
                Work::Function {
                    params,
                    body,
                    scope,
                } => {
                    match body {
                        FunctionBody::Block(Some(block)) => self.stmts(&block.stmts, Some(scope)),
                        FunctionBody::Block(None) => {}
                        FunctionBody::Expr(expr) => self.work.push(Work::Expr(expr, Some(scope))),
                    }
                    for pat in params.into_iter().rev() {
                        self.work.push(Work::Pat(pat, Some(scope)));
                    }
                }
            }
        }
        for (call, innermost) in self.out.calls.iter_mut().zip(&self.call_scopes) {
            let mut next = *innermost;
            while let Some(i) = next {
                let Some(s) = self.scopes.get(i) else { break };
                call.declared.push(s.declared.clone());
                next = s.parent;
            }
        }
        self.out
    }

    fn import(&mut self, import: &swc::ImportDecl) {
        let source = import.src.value.as_str().unwrap_or_default().to_string();
        let mut locals = Vec::new();
        for specifier in &import.specifiers {
            let (local, imported) = match specifier {
                swc::ImportSpecifier::Named(named) => {
                    let imported = match &named.imported {
                        Some(swc::ModuleExportName::Ident(i)) => Some(i.sym.to_string()),
                        Some(swc::ModuleExportName::Str(s)) => s.value.as_str().map(str::to_string),
                        None => Some(named.local.sym.to_string()),
                    };
                    let value_import = !import.type_only && !named.is_type_only;
                    (&named.local, imported.filter(|_| value_import))
                }
                swc::ImportSpecifier::Namespace(ns) => {
                    if !import.type_only && BETTER_AUTH_MODULES.contains(&source.as_str()) {
                        self.namespaces.push(ns.local.sym.to_string());
                    }
                    (&ns.local, None)
                }
                swc::ImportSpecifier::Default(default) => (&default.local, None),
            };
            let local_name = local.sym.to_string();
            match imported.as_deref() {
                Some("betterAuth") if BETTER_AUTH_MODULES.contains(&source.as_str()) => {
                    self.direct.push(local_name.clone())
                }
                Some("env") if source == CLOUDFLARE_WORKERS => {
                    self.out.workers_env = Some(local_name.clone())
                }
                _ => {}
            }
            locals.push(local_name);
        }
        self.out.imports.push(ImportDecl {
            span: self.lowerer.span(import.span),
            source,
            locals,
        });
    }

    fn item(&mut self, item: &'a swc::ModuleItem, scope: Option<usize>) {
        match item {
            swc::ModuleItem::Stmt(stmt) => self.stmt(stmt, scope),
            swc::ModuleItem::ModuleDecl(decl) => match decl {
                swc::ModuleDecl::ExportDecl(e) => self.decl(&e.decl, scope),
                swc::ModuleDecl::ExportDefaultDecl(e) => match &e.decl {
                    swc::DefaultDecl::Class(c) => self.work.push(Work::Class(&c.class, scope)),
                    swc::DefaultDecl::Fn(f) => self.function(&f.function, scope),
                    swc::DefaultDecl::TsInterfaceDecl(_) => {}
                },
                swc::ModuleDecl::ExportDefaultExpr(e) => self.work.push(Work::Expr(&e.expr, scope)),
                swc::ModuleDecl::TsExportAssignment(e) => {
                    self.work.push(Work::Expr(&e.expr, scope))
                }
                _ => {}
            },
        }
    }

    fn stmts(&mut self, stmts: &'a [swc::Stmt], scope: Option<usize>) {
        for stmt in stmts.iter().rev() {
            self.work.push(Work::Stmt(stmt, scope));
        }
    }

    fn exprs(
        &mut self,
        exprs: impl DoubleEndedIterator<Item = &'a swc::Expr>,
        scope: Option<usize>,
    ) {
        for expr in exprs.rev() {
            self.work.push(Work::Expr(expr, scope));
        }
    }

    fn stmt(&mut self, stmt: &'a swc::Stmt, scope: Option<usize>) {
        use swc::Stmt as S;
        match stmt {
            S::Block(b) => self.stmts(&b.stmts, scope),
            S::With(w) => {
                self.work.push(Work::Stmt(&w.body, scope));
                self.work.push(Work::Expr(&w.obj, scope));
            }
            S::Return(r) => self.exprs(r.arg.iter().map(|e| &**e), scope),
            S::Labeled(l) => self.work.push(Work::Stmt(&l.body, scope)),
            S::If(i) => {
                if let Some(alt) = &i.alt {
                    self.work.push(Work::Stmt(alt, scope));
                }
                self.work.push(Work::Stmt(&i.cons, scope));
                self.work.push(Work::Expr(&i.test, scope));
            }
            S::Switch(s) => {
                for case in s.cases.iter().rev() {
                    self.stmts(&case.cons, scope);
                    self.exprs(case.test.iter().map(|e| &**e), scope);
                }
                self.work.push(Work::Expr(&s.discriminant, scope));
            }
            S::Throw(t) => self.work.push(Work::Expr(&t.arg, scope)),
            S::Try(t) => {
                if let Some(f) = &t.finalizer {
                    self.stmts(&f.stmts, scope);
                }
                if let Some(h) = &t.handler {
                    self.stmts(&h.body.stmts, scope);
                }
                self.stmts(&t.block.stmts, scope);
            }
            S::While(w) => {
                self.work.push(Work::Stmt(&w.body, scope));
                self.work.push(Work::Expr(&w.test, scope));
            }
            S::DoWhile(w) => {
                self.work.push(Work::Expr(&w.test, scope));
                self.work.push(Work::Stmt(&w.body, scope));
            }
            S::For(f) => {
                self.work.push(Work::Stmt(&f.body, scope));
                self.exprs(f.update.iter().map(|e| &**e), scope);
                self.exprs(f.test.iter().map(|e| &**e), scope);
                match &f.init {
                    Some(swc::VarDeclOrExpr::VarDecl(v)) => self.var_decl(&v.decls, scope),
                    Some(swc::VarDeclOrExpr::Expr(e)) => self.work.push(Work::Expr(e, scope)),
                    None => {}
                }
            }
            S::ForIn(f) => {
                self.work.push(Work::Stmt(&f.body, scope));
                self.work.push(Work::Expr(&f.right, scope));
            }
            S::ForOf(f) => {
                self.work.push(Work::Stmt(&f.body, scope));
                self.work.push(Work::Expr(&f.right, scope));
            }
            S::Decl(d) => self.decl(d, scope),
            S::Expr(e) => self.work.push(Work::Expr(&e.expr, scope)),
            S::Empty(_) | S::Debugger(_) | S::Break(_) | S::Continue(_) => {}
        }
    }

    fn decl(&mut self, decl: &'a swc::Decl, scope: Option<usize>) {
        match decl {
            swc::Decl::Class(c) => self.work.push(Work::Class(&c.class, scope)),
            swc::Decl::Fn(f) => self.function(&f.function, scope),
            swc::Decl::Var(v) => self.var_decl(&v.decls, scope),
            swc::Decl::Using(u) => self.var_decl(&u.decls, scope),
            swc::Decl::TsEnum(e) => {
                self.exprs(e.members.iter().filter_map(|m| m.init.as_deref()), scope)
            }
            swc::Decl::TsModule(m) => {
                // A namespace body's statements; nested `namespace A.B` is a chain of bodies.
                let mut body = m.body.as_ref();
                while let Some(b) = body {
                    match b {
                        swc::TsNamespaceBody::TsModuleBlock(block) => {
                            for item in block.body.iter().rev() {
                                self.work.push(Work::Item(item, scope));
                            }
                            body = None;
                        }
                        swc::TsNamespaceBody::TsNamespaceDecl(n) => body = Some(&n.body),
                    }
                }
            }
            swc::Decl::TsInterface(_) | swc::Decl::TsTypeAlias(_) => {}
        }
    }

    fn var_decl(&mut self, decls: &'a [swc::VarDeclarator], scope: Option<usize>) {
        if let Some(s) = scope {
            for d in decls {
                if let swc::Pat::Ident(id) = &d.name {
                    let span = self.lowerer.span(id.span());
                    if let Some(scope) = self.scopes.get_mut(s) {
                        scope.declared.push((id.id.sym.to_string(), span));
                    }
                }
            }
        }
        for d in decls.iter().rev() {
            if let Some(init) = &d.init {
                self.work.push(Work::Expr(init, scope));
            }
            self.work.push(Work::Pat(&d.name, scope));
        }
    }

    /// Default values inside a pattern can hold calls too.
    fn pat(&mut self, pat: &'a swc::Pat, scope: Option<usize>) {
        match pat {
            swc::Pat::Assign(a) => {
                self.work.push(Work::Expr(&a.right, scope));
                self.work.push(Work::Pat(&a.left, scope));
            }
            swc::Pat::Array(a) => {
                for p in a.elems.iter().flatten().rev() {
                    self.work.push(Work::Pat(p, scope));
                }
            }
            swc::Pat::Rest(r) => self.work.push(Work::Pat(&r.arg, scope)),
            swc::Pat::Object(o) => {
                for p in o.props.iter().rev() {
                    match p {
                        swc::ObjectPatProp::KeyValue(kv) => {
                            self.work.push(Work::Pat(&kv.value, scope));
                            self.prop_name(&kv.key, scope);
                        }
                        swc::ObjectPatProp::Assign(a) => {
                            self.exprs(a.value.iter().map(|e| &**e), scope)
                        }
                        swc::ObjectPatProp::Rest(r) => self.work.push(Work::Pat(&r.arg, scope)),
                    }
                }
            }
            swc::Pat::Expr(e) => self.work.push(Work::Expr(e, scope)),
            swc::Pat::Ident(_) | swc::Pat::Invalid(_) => {}
        }
    }

    fn prop_name(&mut self, name: &'a swc::PropName, scope: Option<usize>) {
        if let swc::PropName::Computed(c) = name {
            self.work.push(Work::Expr(&c.expr, scope));
        }
    }

    fn class(&mut self, class: &'a swc::Class, scope: Option<usize>) {
        for member in class.body.iter().rev() {
            match member {
                swc::ClassMember::Constructor(c) => {
                    let params = c
                        .params
                        .iter()
                        .filter_map(|p| match p {
                            swc::ParamOrTsParamProp::Param(p) => Some(&p.pat),
                            swc::ParamOrTsParamProp::TsParamProp(_) => None,
                        })
                        .collect();
                    self.function_parts(params, FunctionBody::Block(c.body.as_ref()), scope);
                    self.prop_name(&c.key, scope);
                }
                swc::ClassMember::Method(m) => {
                    self.function(&m.function, scope);
                    self.prop_name(&m.key, scope);
                }
                swc::ClassMember::PrivateMethod(m) => self.function(&m.function, scope),
                swc::ClassMember::ClassProp(p) => {
                    self.exprs(p.value.iter().map(|e| &**e), scope);
                    self.prop_name(&p.key, scope);
                }
                swc::ClassMember::PrivateProp(p) => self.exprs(p.value.iter().map(|e| &**e), scope),
                swc::ClassMember::StaticBlock(b) => self.stmts(&b.body.stmts, scope),
                swc::ClassMember::AutoAccessor(a) => {
                    self.exprs(a.value.iter().map(|e| &**e), scope)
                }
                swc::ClassMember::TsIndexSignature(_) | swc::ClassMember::Empty(_) => {}
            }
        }
        self.exprs(class.super_class.iter().map(|e| &**e), scope);
    }

    fn function(&mut self, function: &'a swc::Function, scope: Option<usize>) {
        let params = function.params.iter().map(|p| &p.pat).collect();
        self.function_parts(params, FunctionBody::Block(function.body.as_ref()), scope);
    }

    fn function_parts(
        &mut self,
        params: Vec<&'a swc::Pat>,
        body: FunctionBody<'a>,
        parent: Option<usize>,
    ) {
        let facts = params.iter().map(|p| self.param(p)).collect();
        self.scopes.push(Scope {
            params: facts,
            parent,
            declared: Vec::new(),
        });
        let scope = self.scopes.len() - 1;
        self.work.push(Work::Function {
            params,
            body,
            scope,
        });
    }

    fn param(&self, pat: &swc::Pat) -> Param {
        let span = self.lowerer.span(pat.span());
        match pat {
            swc::Pat::Ident(id) => Param {
                name: Some(id.id.sym.to_string()),
                span,
                optional: id.id.optional
                    || id
                        .type_ann
                        .as_ref()
                        .is_some_and(|t| may_be_undefined(&t.type_ann)),
                type_name: id.type_ann.as_ref().and_then(|t| type_name(&t.type_ann)),
            },
            swc::Pat::Assign(a) => Param {
                optional: true,
                ..self.param(&a.left)
            },
            _ => Param {
                name: None,
                span,
                optional: false,
                type_name: None,
            },
        }
    }

    fn expr(&mut self, expr: &'a swc::Expr, scope: Option<usize>) {
        use swc::Expr as E;
        match expr {
            E::Array(a) => self.exprs(a.elems.iter().flatten().map(|e| &*e.expr), scope),
            E::Object(o) => {
                for p in o.props.iter().rev() {
                    match p {
                        swc::PropOrSpread::Spread(s) => self.work.push(Work::Expr(&s.expr, scope)),
                        swc::PropOrSpread::Prop(p) => match &**p {
                            swc::Prop::Shorthand(_) => {}
                            swc::Prop::KeyValue(kv) => {
                                self.work.push(Work::Expr(&kv.value, scope));
                                self.prop_name(&kv.key, scope);
                            }
                            swc::Prop::Assign(a) => self.work.push(Work::Expr(&a.value, scope)),
                            swc::Prop::Getter(g) => {
                                self.function(&g.function, scope);
                                self.prop_name(&g.key, scope);
                            }
                            swc::Prop::Setter(s) => {
                                self.function(&s.function, scope);
                                self.prop_name(&s.key, scope);
                            }
                            swc::Prop::Method(m) => {
                                self.function(&m.function, scope);
                                self.prop_name(&m.key, scope);
                            }
                        },
                    }
                }
            }
            E::Fn(f) => self.function(&f.function, scope),
            E::Arrow(a) => {
                let body = match &*a.body {
                    swc::ArrowFunctionBody::FunctionBody(b) => FunctionBody::Block(Some(b)),
                    swc::ArrowFunctionBody::Expr(e) => FunctionBody::Expr(e),
                };
                self.function_parts(a.params.iter().collect(), body, scope);
            }
            E::Class(c) => self.work.push(Work::Class(&c.class, scope)),
            E::Unary(u) => self.work.push(Work::Expr(&u.arg, scope)),
            E::Update(u) => self.work.push(Work::Expr(&u.arg, scope)),
            E::Bin(b) => self.exprs([&*b.left, &*b.right].into_iter(), scope),
            E::Assign(a) => {
                self.work.push(Work::Expr(&a.right, scope));
                if let swc::AssignTarget::Simple(swc::SimpleAssignTarget::Member(m)) = &a.left {
                    self.member(m, scope);
                }
            }
            E::Member(m) => self.member(m, scope),
            E::SuperProp(s) => {
                if let swc::SuperProp::Computed(c) = &s.prop {
                    self.work.push(Work::Expr(&c.expr, scope));
                }
            }
            E::Cond(c) => self.exprs([&*c.test, &*c.cons, &*c.alt].into_iter(), scope),
            E::Call(call) => {
                let callee = match &call.callee {
                    swc::Callee::Expr(callee) => Some(&**callee),
                    swc::Callee::Super(_) | swc::Callee::Import(_) => None,
                };
                self.call(callee, &call.args, scope);
            }
            E::New(n) => {
                self.exprs(n.args.iter().flatten().map(|a| &*a.expr), scope);
                self.work.push(Work::Expr(&n.callee, scope));
            }
            E::Seq(s) => self.exprs(s.exprs.iter().map(|e| &**e), scope),
            E::Tpl(t) => self.exprs(t.exprs.iter().map(|e| &**e), scope),
            E::TaggedTpl(t) => {
                self.exprs(t.tpl.exprs.iter().map(|e| &**e), scope);
                self.work.push(Work::Expr(&t.tag, scope));
            }
            E::Yield(y) => self.exprs(y.arg.iter().map(|e| &**e), scope),
            E::Await(a) => self.work.push(Work::Expr(&a.arg, scope)),
            E::Paren(p) => self.work.push(Work::Expr(&p.expr, scope)),
            E::TsTypeAssertion(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::TsConstAssertion(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::TsNonNull(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::TsAs(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::TsInstantiation(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::TsSatisfies(t) => self.work.push(Work::Expr(&t.expr, scope)),
            E::OptChain(o) => match &*o.base {
                swc::OptChainBase::Member(m) => self.member(m, scope),
                swc::OptChainBase::Call(c) => self.call(Some(&c.callee), &c.args, scope),
            },
            E::JSXElement(_)
            | E::JSXFragment(_)
            | E::JSXMember(_)
            | E::JSXNamespacedName(_)
            | E::JSXEmpty(_)
            | E::This(_)
            | E::Ident(_)
            | E::Lit(_)
            | E::MetaProp(_)
            | E::PrivateName(_)
            | E::Invalid(_) => {}
        }
    }

    fn member(&mut self, m: &'a swc::MemberExpr, scope: Option<usize>) {
        if let swc::MemberProp::Computed(c) = &m.prop {
            self.work.push(Work::Expr(&c.expr, scope));
        }
        self.work.push(Work::Expr(&m.obj, scope));
    }

    fn call(
        &mut self,
        callee: Option<&'a swc::Expr>,
        args: &'a [swc::ExprOrSpread],
        scope: Option<usize>,
    ) {
        self.exprs(args.iter().map(|a| &*a.expr), scope);
        let Some(callee) = callee else {
            return;
        };
        self.work.push(Work::Expr(callee, scope));
        if !self.is_better_auth(callee) {
            return;
        }
        let options = match args.first() {
            None => OptionsArg::Missing,
            Some(arg) if arg.spread.is_some() => OptionsArg::Other(self.lowerer.span(arg.span())),
            Some(arg) => match object_lit(&arg.expr) {
                Some(o) => OptionsArg::Object(self.object(o, true)),
                None => OptionsArg::Other(self.lowerer.span(arg.expr.span())),
            },
        };
        let mut scopes = Vec::new();
        // Only the first two calls matter (more is "several"); this keeps the walk linear.
        let innermost = scope.filter(|_| self.out.calls.len() < 2);
        let mut next = innermost;
        while let Some(i) = next {
            let Some(s) = self.scopes.get(i) else { break };
            scopes.push(s.params.clone());
            next = s.parent;
        }
        self.call_scopes.push(innermost);
        self.out.calls.push(BetterAuthCall {
            callee: self.lowerer.span(callee.span()),
            options,
            scopes,
            // Filled in once the whole module is walked (a declaration may follow the call).
            declared: Vec::new(),
        });
    }

    fn is_better_auth(&self, callee: &swc::Expr) -> bool {
        match unwrap(callee) {
            swc::Expr::Ident(i) => self.direct.iter().any(|d| *d == *i.sym),
            swc::Expr::Member(m) => {
                matches!(&*m.obj, swc::Expr::Ident(ns) if self.namespaces.iter().any(|n| *n == *ns.sym))
                    && matches!(&m.prop, swc::MemberProp::Ident(p) if &*p.sym == "betterAuth")
            }
            _ => false,
        }
    }

    /// `nested`: lower property values that are object literals one level down.
    fn object(&self, o: &swc::ObjectLit, nested: bool) -> ObjectLit {
        let members = o
            .props
            .iter()
            .map(|p| {
                let span = self.lowerer.span(p.span());
                let kind = match p {
                    swc::PropOrSpread::Spread(_) => MemberKind::Spread,
                    swc::PropOrSpread::Prop(p) => match &**p {
                        swc::Prop::Shorthand(i) => MemberKind::Property {
                            key: i.sym.to_string(),
                            value: Value::Other(self.lowerer.span(i.span)),
                        },
                        swc::Prop::KeyValue(kv) => match prop_key(&kv.key) {
                            Some(key) => MemberKind::Property {
                                key,
                                value: match object_lit(&kv.value) {
                                    Some(inner) if nested => {
                                        Value::Object(self.object(inner, false))
                                    }
                                    _ => Value::Other(self.lowerer.span(kv.value.span())),
                                },
                            },
                            None => MemberKind::Opaque { key: None },
                        },
                        swc::Prop::Assign(a) => MemberKind::Opaque {
                            key: Some(a.key.sym.to_string()),
                        },
                        swc::Prop::Getter(g) => MemberKind::Opaque {
                            key: prop_key(&g.key),
                        },
                        swc::Prop::Setter(s) => MemberKind::Opaque {
                            key: prop_key(&s.key),
                        },
                        swc::Prop::Method(m) => MemberKind::Opaque {
                            key: prop_key(&m.key),
                        },
                    },
                };
                Member { span, kind }
            })
            .collect();
        ObjectLit {
            span: self.lowerer.span(o.span),
            members,
        }
    }
}

/// Looks through parentheses and type-only wrappers.
fn unwrap(mut expr: &swc::Expr) -> &swc::Expr {
    loop {
        expr = match expr {
            swc::Expr::Paren(p) => &p.expr,
            swc::Expr::TsAs(t) => &t.expr,
            swc::Expr::TsSatisfies(t) => &t.expr,
            swc::Expr::TsConstAssertion(t) => &t.expr,
            swc::Expr::TsNonNull(t) => &t.expr,
            swc::Expr::TsTypeAssertion(t) => &t.expr,
            _ => return expr,
        };
    }
}

fn object_lit(expr: &swc::Expr) -> Option<&swc::ObjectLit> {
    match unwrap(expr) {
        swc::Expr::Object(o) => Some(o),
        _ => None,
    }
}

/// A key known without evaluation: `key`, `"key"`, `1`; `None` for computed keys.
fn prop_key(key: &swc::PropName) -> Option<String> {
    match key {
        swc::PropName::Ident(i) => Some(i.sym.to_string()),
        swc::PropName::Str(s) => s.value.as_str().map(str::to_string),
        swc::PropName::Num(n) => Some(n.value.to_string()),
        swc::PropName::Computed(_) | swc::PropName::BigInt(_) => None,
    }
}

/// `Foo` or `ns.Foo` as written; `None` for any other type.
fn type_name(ty: &swc::TsType) -> Option<String> {
    match ty {
        swc::TsType::TsTypeRef(r) => match &r.type_name {
            swc::TsEntityName::Ident(i) => Some(i.sym.to_string()),
            swc::TsEntityName::TsQualifiedName(q) => Some(q.right.sym.to_string()),
        },
        swc::TsType::TsParenthesizedType(p) => type_name(&p.type_ann),
        swc::TsType::TsUnionOrIntersectionType(swc::TsUnionOrIntersectionType::TsUnionType(u)) => {
            // `T | undefined` names T.
            let named: Vec<String> = u
                .types
                .iter()
                .filter(|t| !is_undefined(t))
                .filter_map(|t| match &**t {
                    swc::TsType::TsTypeRef(_) => type_name(t),
                    _ => None,
                })
                .collect();
            match named.as_slice() {
                [one] if u.types.len() <= 3 => Some(one.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_undefined(ty: &swc::TsType) -> bool {
    matches!(ty, swc::TsType::TsKeywordType(k)
        if matches!(k.kind, swc::TsKeywordTypeKind::TsUndefinedKeyword | swc::TsKeywordTypeKind::TsNullKeyword | swc::TsKeywordTypeKind::TsVoidKeyword))
}

/// A union with `undefined`, `null` or `void` among its members (one level deep).
fn may_be_undefined(ty: &swc::TsType) -> bool {
    match ty {
        swc::TsType::TsUnionOrIntersectionType(swc::TsUnionOrIntersectionType::TsUnionType(u)) => {
            u.types.iter().any(|t| is_undefined(t))
        }
        swc::TsType::TsParenthesizedType(p) => may_be_undefined(&p.type_ann),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> AuthModule {
        read(FileId(0), "auth.ts", text).expect("parses")
    }

    #[test]
    fn finds_the_call_its_options_and_the_env_parameter() {
        let m = read_text(
            "import { betterAuth as ba } from \"better-auth\";\nimport type { CloudflareBindings } from \"../env\";\n\
             function createAuth(env?: CloudflareBindings, cf?: unknown) {\n  return ba({ secret: \"x\", rateLimit: { enabled: true }, ...more });\n}\n",
        );
        assert_eq!(m.imports.len(), 2);
        assert_eq!(m.calls.len(), 1);
        let call = &m.calls[0];
        let [outer] = call.scopes.as_slice() else {
            panic!("one scope")
        };
        assert_eq!(outer[0].name.as_deref(), Some("env"));
        assert!(outer[0].optional);
        assert_eq!(outer[0].type_name.as_deref(), Some("CloudflareBindings"));
        let OptionsArg::Object(o) = &call.options else {
            panic!("object")
        };
        assert_eq!(o.members.len(), 3);
        assert!(
            matches!(&o.members[1].kind, MemberKind::Property { key, value: Value::Object(_) } if key == "rateLimit")
        );
        assert!(matches!(o.members[2].kind, MemberKind::Spread));
    }

    #[test]
    fn finds_calls_anywhere_and_only_of_the_import() {
        let m = read_text(
            "import * as BA from \"better-auth\";\nconst betterAuth = (x: unknown) => x;\nbetterAuth({});\n\
             export default { fetch(req: Request, env: Env) { const a = [1, { b: () => BA.betterAuth({}) }]; return BA.betterAuth(opts); } };\n",
        );
        assert_eq!(m.calls.len(), 2);
        assert!(matches!(m.calls[1].options, OptionsArg::Other(_)));
        // The arrow's (no parameters), then the method's.
        assert_eq!(m.calls[0].scopes.len(), 2);
        assert_eq!(m.calls[0].scopes[1][1].name.as_deref(), Some("env"));
    }

    #[test]
    fn deep_input_is_refused_not_crashed_on() {
        let deep = format!(
            "{}{}",
            "(".repeat(super::super::depth::MAX_DEPTH + 1),
            ")".repeat(super::super::depth::MAX_DEPTH + 1)
        );
        assert!(read(FileId(0), "auth.ts", &deep).is_err());
        assert!(read(FileId(0), "auth.ts", "import {").is_err());
    }
}

//! Lowers swc's module into [`super::ast`]. The only place swc spans become ours.

use swc_ecma_ast as swc;

use super::ast::*;
use crate::span::{FileId, Span};

/// Expressions nested deeper than this are lowered as [`ExprKind::TooDeep`].
/// The pre-scan in `depth` already refuses deep brackets; this bounds the rest
/// (long `a.b.c…` or `x ?? y ?? …` chains) so lowering never recurses unboundedly.
pub const MAX_EXPR_DEPTH: u32 = 256;

pub struct Lowerer {
    file: FileId,
    depth: u32,
}

impl Lowerer {
    pub fn new(file: FileId) -> Lowerer {
        Lowerer { file, depth: 0 }
    }

    /// swc positions are global to its source map and start at 1 (0 is "synthesized");
    /// the file is registered at position 1, so offset = position - 1.
    pub fn span(&self, span: swc_common::Span) -> Span {
        Span::new(
            self.file,
            span.lo.0.saturating_sub(1),
            span.hi.0.saturating_sub(1),
        )
    }

    pub fn module(&mut self, module: &swc::Module) -> Module {
        let mut out = Module {
            imports: Vec::new(),
            declarations: Vec::new(),
            default_export: None,
        };
        for item in &module.body {
            match item {
                swc::ModuleItem::ModuleDecl(decl) => self.module_decl(decl, &mut out),
                swc::ModuleItem::Stmt(swc::Stmt::Decl(decl)) => self.decl(decl, &mut out),
                swc::ModuleItem::Stmt(_) => {}
            }
        }
        out
    }

    fn module_decl(&mut self, decl: &swc::ModuleDecl, out: &mut Module) {
        match decl {
            swc::ModuleDecl::Import(import) if !import.type_only => {
                let Some(source) = import.src.value.as_str() else {
                    return;
                };
                for specifier in &import.specifiers {
                    let (local, kind) = match specifier {
                        swc::ImportSpecifier::Named(named) if !named.is_type_only => {
                            let imported = match &named.imported {
                                Some(swc::ModuleExportName::Ident(i)) => i.sym.to_string(),
                                Some(swc::ModuleExportName::Str(s)) => match s.value.as_str() {
                                    Some(s) => s.to_string(),
                                    None => continue,
                                },
                                None => named.local.sym.to_string(),
                            };
                            (&named.local, ImportKind::Named(imported))
                        }
                        swc::ImportSpecifier::Named(_) => continue,
                        swc::ImportSpecifier::Namespace(ns) => (&ns.local, ImportKind::Namespace),
                        swc::ImportSpecifier::Default(default) => {
                            (&default.local, ImportKind::Default)
                        }
                    };
                    out.imports.push(Import {
                        local: local.sym.to_string(),
                        source: source.to_string(),
                        kind,
                        span: self.span(local.span),
                    });
                }
            }
            swc::ModuleDecl::ExportDecl(export) => self.decl(&export.decl, out),
            swc::ModuleDecl::ExportDefaultExpr(export) => {
                out.default_export = Some(self.expr(&export.expr))
            }
            swc::ModuleDecl::ExportDefaultDecl(export) => {
                let (span, what) = match &export.decl {
                    swc::DefaultDecl::Class(c) => (c.class.span, "a class"),
                    swc::DefaultDecl::Fn(f) => (f.function.span, "a function"),
                    swc::DefaultDecl::TsInterfaceDecl(i) => (i.span, "an interface"),
                };
                out.default_export = Some(Expr {
                    kind: ExprKind::Opaque(what),
                    span: self.span(span),
                });
            }
            // `export { config as default }`
            swc::ModuleDecl::ExportNamed(named) if named.src.is_none() && !named.type_only => {
                for specifier in &named.specifiers {
                    let swc::ExportSpecifier::Named(s) = specifier else {
                        continue;
                    };
                    let is_default = matches!(&s.exported, Some(swc::ModuleExportName::Ident(i)) if i.sym == "default");
                    if let (true, swc::ModuleExportName::Ident(orig)) = (is_default, &s.orig) {
                        out.default_export = Some(Expr {
                            kind: ExprKind::Ident(orig.sym.to_string()),
                            span: self.span(orig.span),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn decl(&mut self, decl: &swc::Decl, out: &mut Module) {
        let mut push = |name: &swc::Ident, kind: DeclarationKind, this: &Self| {
            out.declarations.push(Declaration {
                name: name.sym.to_string(),
                name_span: this.span(name.span),
                kind,
            });
        };
        match decl {
            swc::Decl::Var(var) => {
                for declarator in &var.decls {
                    let swc::Pat::Ident(binding) = &declarator.name else {
                        continue;
                    };
                    let kind = match (var.kind, &declarator.init) {
                        (swc::VarDeclKind::Const, Some(init)) => {
                            DeclarationKind::Const(self.expr(init))
                        }
                        (swc::VarDeclKind::Const, None) => {
                            DeclarationKind::Other("a declared const without a value")
                        }
                        (swc::VarDeclKind::Let, _) => DeclarationKind::Mutable("let"),
                        (swc::VarDeclKind::Var, _) => DeclarationKind::Mutable("var"),
                    };
                    push(&binding.id, kind, self);
                }
            }
            swc::Decl::Fn(f) => push(&f.ident, DeclarationKind::Other("a function"), self),
            swc::Decl::Class(c) => push(&c.ident, DeclarationKind::Other("a class"), self),
            swc::Decl::TsEnum(e) => push(&e.id, DeclarationKind::Other("an enum"), self),
            _ => {}
        }
    }

    pub fn expr(&mut self, expr: &swc::Expr) -> Expr {
        let expr = strip_wrappers(expr);
        if self.depth >= MAX_EXPR_DEPTH {
            return Expr {
                kind: ExprKind::TooDeep,
                span: self.span(span_of(expr)),
            };
        }
        self.depth += 1;
        let lowered = self.expr_inner(expr);
        self.depth -= 1;
        lowered
    }

    fn expr_inner(&mut self, expr: &swc::Expr) -> Expr {
        use swc::Expr as E;
        let span = self.span(span_of(expr));
        let kind = match expr {
            E::Lit(swc::Lit::Str(s)) => match s.value.as_str() {
                Some(value) => ExprKind::Str(value.to_string()),
                None => ExprKind::Opaque("a string containing a lone UTF-16 surrogate"),
            },
            E::Lit(swc::Lit::Num(n)) => ExprKind::Num(n.value),
            E::Lit(swc::Lit::Bool(b)) => ExprKind::Bool(b.value),
            E::Lit(swc::Lit::Null(_)) => ExprKind::Null,
            E::Lit(swc::Lit::BigInt(_)) => ExprKind::Opaque("a bigint"),
            E::Lit(swc::Lit::Regex(_)) => ExprKind::Opaque("a regular expression"),
            E::Lit(_) => ExprKind::Opaque("a JSX literal"),
            E::Unary(u) if u.op == swc::UnaryOp::Minus => match strip_wrappers(&u.arg) {
                E::Lit(swc::Lit::Num(n)) => ExprKind::Num(-n.value),
                _ => ExprKind::Opaque("a unary expression"),
            },
            E::Tpl(tpl) => {
                let quasis: Option<Vec<String>> = tpl
                    .quasis
                    .iter()
                    .map(|q| {
                        q.cooked
                            .as_ref()
                            .and_then(|c| c.as_str())
                            .map(str::to_string)
                    })
                    .collect();
                match quasis {
                    Some(quasis) => ExprKind::Template {
                        quasis,
                        exprs: tpl.exprs.iter().map(|e| self.expr(e)).collect(),
                    },
                    None => ExprKind::Opaque("a template literal with an invalid escape"),
                }
            }
            E::Object(object) => {
                ExprKind::Object(object.props.iter().map(|p| self.prop(p)).collect())
            }
            E::Array(array) => ExprKind::Array(
                array
                    .elems
                    .iter()
                    .map(|element| match element {
                        None => Element::Hole(span),
                        Some(e) if e.spread.is_some() => Element::Spread(self.expr(&e.expr)),
                        Some(e) => Element::Expr(self.expr(&e.expr)),
                    })
                    .collect(),
            ),
            E::Ident(ident) => ExprKind::Ident(ident.sym.to_string()),
            E::Member(member) => ExprKind::Member {
                object: Box::new(self.expr(&member.obj)),
                property: self.member_prop(&member.prop),
            },
            E::Call(call) => match &call.callee {
                swc::Callee::Expr(callee) => ExprKind::Call {
                    callee: Box::new(self.expr(callee)),
                    args: call
                        .args
                        .iter()
                        .map(|a| {
                            if a.spread.is_some() {
                                Element::Spread(self.expr(&a.expr))
                            } else {
                                Element::Expr(self.expr(&a.expr))
                            }
                        })
                        .collect(),
                },
                _ => ExprKind::Opaque("a call"),
            },
            E::Bin(bin)
                if matches!(
                    bin.op,
                    swc::BinaryOp::NullishCoalescing | swc::BinaryOp::LogicalOr
                ) =>
            {
                ExprKind::Fallback {
                    op: if bin.op == swc::BinaryOp::NullishCoalescing {
                        FallbackOp::Nullish
                    } else {
                        FallbackOp::Or
                    },
                    left: Box::new(self.expr(&bin.left)),
                    right: Box::new(self.expr(&bin.right)),
                }
            }
            E::Bin(bin) => match arithmetic(bin.op) {
                Some(op) => ExprKind::Arithmetic {
                    op,
                    left: Box::new(self.expr(&bin.left)),
                    right: Box::new(self.expr(&bin.right)),
                },
                None => ExprKind::Opaque("a binary expression"),
            },
            E::Fn(_) | E::Arrow(_) => ExprKind::Opaque("a function"),
            E::Class(_) => ExprKind::Opaque("a class"),
            E::Cond(_) => ExprKind::Opaque("a conditional expression"),
            E::New(_) => ExprKind::Opaque("a `new` expression"),
            E::Await(_) => ExprKind::Opaque("an `await` expression"),
            E::OptChain(_) => ExprKind::Opaque("an optional chain"),
            E::TaggedTpl(_) => ExprKind::Opaque("a tagged template"),
            E::Assign(_) | E::Update(_) => ExprKind::Opaque("an assignment"),
            E::Unary(_) => ExprKind::Opaque("a unary expression"),
            _ => ExprKind::Opaque("an expression"),
        };
        Expr { kind, span }
    }

    fn prop(&mut self, prop: &swc::PropOrSpread) -> Prop {
        let prop = match prop {
            swc::PropOrSpread::Spread(spread) => return Prop::Spread(self.expr(&spread.expr)),
            swc::PropOrSpread::Prop(prop) => prop,
        };
        match &**prop {
            swc::Prop::Shorthand(ident) => {
                let span = self.span(ident.span);
                Prop::KeyValue {
                    key: ident.sym.to_string(),
                    key_span: span,
                    value: Expr {
                        kind: ExprKind::Ident(ident.sym.to_string()),
                        span,
                    },
                }
            }
            swc::Prop::KeyValue(kv) => match self.prop_name(&kv.key) {
                Some((key, key_span)) => Prop::KeyValue {
                    key,
                    key_span,
                    value: self.expr(&kv.value),
                },
                None => Prop::Opaque {
                    key: None,
                    span: self.span(span_of_prop_name(&kv.key)),
                    what: "a computed key",
                },
            },
            swc::Prop::Getter(g) => self.opaque_prop(&g.key, "a getter"),
            swc::Prop::Setter(s) => self.opaque_prop(&s.key, "a setter"),
            swc::Prop::Method(m) => self.opaque_prop(&m.key, "a method"),
            swc::Prop::Assign(a) => Prop::Opaque {
                key: Some(a.key.sym.to_string()),
                span: self.span(a.key.span),
                what: "an assignment",
            },
        }
    }

    fn opaque_prop(&mut self, key: &swc::PropName, what: &'static str) -> Prop {
        let span = self.span(span_of_prop_name(key));
        Prop::Opaque {
            key: self.prop_name(key).map(|(k, _)| k),
            span,
            what,
        }
    }

    fn prop_name(&mut self, key: &swc::PropName) -> Option<(String, Span)> {
        match key {
            swc::PropName::Ident(i) => Some((i.sym.to_string(), self.span(i.span))),
            swc::PropName::Str(s) => Some((s.value.as_str()?.to_string(), self.span(s.span))),
            swc::PropName::Num(n) => Some((format_number(n.value), self.span(n.span))),
            swc::PropName::Computed(c) => match strip_wrappers(&c.expr) {
                swc::Expr::Lit(swc::Lit::Str(s)) => {
                    Some((s.value.as_str()?.to_string(), self.span(s.span)))
                }
                _ => None,
            },
            swc::PropName::BigInt(_) => None,
        }
    }

    fn member_prop(&mut self, prop: &swc::MemberProp) -> Key {
        match prop {
            swc::MemberProp::Ident(i) => Key::Static(i.sym.to_string(), self.span(i.span)),
            swc::MemberProp::PrivateName(p) => {
                Key::Static(format!("#{}", p.name), self.span(p.span))
            }
            swc::MemberProp::Computed(c) => match strip_wrappers(&c.expr) {
                swc::Expr::Lit(swc::Lit::Str(s)) if s.value.as_str().is_some() => Key::Static(
                    s.value.as_str().unwrap_or_default().to_string(),
                    self.span(s.span),
                ),
                other => Key::Computed(Box::new(self.expr(other))),
            },
        }
    }
}

/// `(x)`, `x as T`, `x satisfies T`, `x as const`, `x!` and `<T>x` only change
/// types, never values: look through them, iteratively so that long chains of
/// wrappers cannot exhaust the stack.
fn strip_wrappers(mut expr: &swc::Expr) -> &swc::Expr {
    loop {
        expr = match expr {
            swc::Expr::Paren(e) => &e.expr,
            swc::Expr::TsAs(e) => &e.expr,
            swc::Expr::TsSatisfies(e) => &e.expr,
            swc::Expr::TsConstAssertion(e) => &e.expr,
            swc::Expr::TsNonNull(e) => &e.expr,
            swc::Expr::TsTypeAssertion(e) => &e.expr,
            swc::Expr::TsInstantiation(e) => &e.expr,
            _ => return expr,
        }
    }
}

fn arithmetic(op: swc::BinaryOp) -> Option<ArithmeticOp> {
    Some(match op {
        swc::BinaryOp::Add => ArithmeticOp::Add,
        swc::BinaryOp::Sub => ArithmeticOp::Sub,
        swc::BinaryOp::Mul => ArithmeticOp::Mul,
        swc::BinaryOp::Div => ArithmeticOp::Div,
        swc::BinaryOp::Mod => ArithmeticOp::Rem,
        _ => return None,
    })
}

fn span_of(expr: &swc::Expr) -> swc_common::Span {
    swc_common::Spanned::span(expr)
}

fn span_of_prop_name(key: &swc::PropName) -> swc_common::Span {
    swc_common::Spanned::span(key)
}

/// JavaScript's `String(number)` for the numbers a property key can hold.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

//! The compiler's own tree of a config module: only what evaluation can use.
//! Everything else (functions, classes, operators) is kept as an opaque node
//! with a description, so it can be named in a diagnostic if KV depends on it.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub imports: Vec<Import>,
    pub declarations: Vec<Declaration>,
    pub default_export: Option<Expr>,
}

impl Module {
    /// The last top-level declaration of `name` (redeclaration is a TypeScript error anyway).
    pub fn declaration(&self, name: &str) -> Option<&Declaration> {
        self.declarations.iter().rev().find(|d| d.name == name)
    }

    pub fn import(&self, local: &str) -> Option<&Import> {
        self.imports.iter().rev().find(|i| i.local == local)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub local: String,
    pub source: String,
    pub kind: ImportKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportKind {
    /// `import { imported as local }`
    Named(String),
    /// `import * as local`
    Namespace,
    /// `import local from`
    Default,
}

/// A top-level binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub name: String,
    pub name_span: Span,
    pub kind: DeclarationKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeclarationKind {
    Const(Expr),
    /// `let` or `var`: may be reassigned, so never evaluated.
    Mutable(&'static str),
    /// A function, class, enum or a `const` without a plain initializer.
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// Alternating cooked strings and expressions: `quasis.len() == exprs.len() + 1`.
    Template {
        quasis: Vec<String>,
        exprs: Vec<Expr>,
    },
    Object(Vec<Prop>),
    Array(Vec<Element>),
    Ident(String),
    Member {
        object: Box<Expr>,
        property: Key,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Element>,
    },
    /// `left ?? right` or `left || right`.
    Fallback {
        op: FallbackOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `+ - * / %`: arithmetic on numbers (`60 * 60 * 24`), `+` also joins strings.
    Arithmetic {
        op: ArithmeticOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// Anything else, described for messages ("a function", "a binary expression").
    Opaque(&'static str),
    /// Nesting beyond what the compiler walks; reported if a value depends on it.
    TooDeep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackOp {
    Nullish,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithmeticOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A property name in member access: static (`a.b`, `a["b"]`) or computed (`a[k]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Static(String, Span),
    Computed(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    KeyValue {
        key: String,
        key_span: Span,
        value: Expr,
    },
    Spread(Expr),
    /// A method, getter, setter or computed key: `key` when it is known.
    Opaque {
        key: Option<String>,
        span: Span,
        what: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Expr(Expr),
    Spread(Expr),
    Hole(Span),
}

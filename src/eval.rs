//! Demand-driven constant evaluation of config expressions.
//!
//! Nothing is evaluated until a caller asks for a value at a path: objects are
//! returned lazily (their entries stay expressions), so a function, a hook or an
//! unrelated provider elsewhere in the config is never looked at unless KV
//! depends on it. Evaluation errors become diagnostics at the typed getters,
//! which know the config path and the expected type.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::span::Span;
use crate::syntax::ast::*;
use crate::syntax::lower::format_number;

/// How a value reached the config, beyond the path that uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Written in the config (possibly through consts and member access).
    Literal,
    /// Read from an environment variable.
    EnvVar(String),
    /// The fallback of an environment variable that was not set.
    EnvFallback(String),
    /// Written in the wrangler file (an id the compiler adopted or wrote before).
    WranglerFile,
}

/// A string known at compile time.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    pub value: String,
    /// Where the value is written: the literal, or the `process.env` read.
    pub span: Span,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Value<'m> {
    Str(Str),
    Num(f64, Span),
    Bool(bool, Span),
    Null(Span),
    Undefined(Span),
    /// `process.env.NAME` where NAME is not set: undefined, but remembered so
    /// that a read without fallback can name the variable.
    EnvUnset {
        name: String,
        span: Span,
    },
    Object(Object<'m>),
    Array(Vec<&'m Expr>, Span),
}

impl Value<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Num(..) => "a number",
            Value::Bool(..) => "a boolean",
            Value::Null(_) => "null",
            Value::Undefined(_) | Value::EnvUnset { .. } => "undefined",
            Value::Object(_) => "an object",
            Value::Array(..) => "an array",
        }
    }

    fn span(&self) -> Span {
        match self {
            Value::Str(s) => s.span,
            Value::Num(_, s)
            | Value::Bool(_, s)
            | Value::Null(s)
            | Value::Undefined(s)
            | Value::Array(_, s) => *s,
            Value::EnvUnset { span, .. } => *span,
            Value::Object(o) => o.span,
        }
    }
}

/// An object whose entries are evaluated only when read.
#[derive(Debug, Clone)]
pub struct Object<'m> {
    pub span: Span,
    entries: Vec<Entry<'m>>,
}

#[derive(Debug, Clone)]
enum Entry<'m> {
    Known {
        key: &'m str,
        key_span: Span,
        value: &'m Expr,
    },
    /// A method, getter, computed key or a spread that cannot be evaluated:
    /// any key not written after it might come from it.
    Unknown {
        key: Option<&'m str>,
        span: Span,
        what: String,
    },
}

/// A property read from an object: its key's span and its value expression.
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    pub key_span: Span,
    pub value: &'m Expr,
}

/// Why an expression has no compile-time value; turned into a diagnostic by the
/// getters, which know the path being read and the type they expected.
#[derive(Debug, Clone)]
pub enum EvalError {
    NotConstant { span: Span, why: String },
    TooDeep { span: Span },
}

pub struct Evaluator<'m> {
    module: &'m Module,
    env: &'m BTreeMap<String, String>,
    /// Consts being evaluated, to report `const a = b; const b = a` instead of looping.
    active: RefCell<Vec<&'m str>>,
}

/// What a getter wants, for messages: "a string known at compile time".
#[derive(Debug, Clone, Copy)]
pub enum Want {
    String,
    Number,
    Boolean,
    Object,
    Array,
}

impl Want {
    fn describe(self) -> &'static str {
        match self {
            Want::String => "a string",
            Want::Number => "a number",
            Want::Boolean => "a boolean",
            Want::Object => "an object",
            Want::Array => "an array",
        }
    }
}

impl<'m> Evaluator<'m> {
    pub fn new(module: &'m Module, env: &'m BTreeMap<String, String>) -> Evaluator<'m> {
        Evaluator {
            module,
            env,
            active: RefCell::new(Vec::new()),
        }
    }

    pub fn module(&self) -> &'m Module {
        self.module
    }

    /// Evaluates an expression to a value; objects stay lazy.
    pub fn eval(&self, expr: &'m Expr) -> Result<Value<'m>, EvalError> {
        let span = expr.span;
        Ok(match &expr.kind {
            ExprKind::Str(value) => Value::Str(Str {
                value: value.clone(),
                span,
                via: Via::Literal,
            }),
            ExprKind::Num(n) => Value::Num(*n, span),
            ExprKind::Bool(b) => Value::Bool(*b, span),
            ExprKind::Null => Value::Null(span),
            ExprKind::Ident(name) if name == "undefined" => Value::Undefined(span),
            ExprKind::Ident(name) => return self.constant(name, span),
            ExprKind::Template { quasis, exprs } => {
                let mut out = quasis.first().cloned().unwrap_or_default();
                let mut via = Via::Literal;
                for (expr, quasi) in exprs.iter().zip(&quasis[1..]) {
                    let value = self.eval(expr)?;
                    let (text, part_via) = self.to_template_part(value, expr)?;
                    if via == Via::Literal {
                        via = part_via;
                    }
                    out.push_str(&text);
                    out.push_str(quasi);
                }
                Value::Str(Str {
                    value: out,
                    span,
                    via,
                })
            }
            ExprKind::Object(props) => Value::Object(self.object_literal(props, span)),
            ExprKind::Array(elements) => {
                let mut items = Vec::new();
                for element in elements {
                    match element {
                        Element::Expr(e) => items.push(e),
                        Element::Spread(e) => match self.eval(e)? {
                            Value::Array(inner, _) => items.extend(inner),
                            other => {
                                return Err(not_constant(
                                    e.span,
                                    format!("spreads {} into an array", other.describe()),
                                ));
                            }
                        },
                        Element::Hole(s) => return Err(not_constant(*s, "an array hole")),
                    }
                }
                Value::Array(items, span)
            }
            ExprKind::Member { object, property } => {
                if let Some(name) = env_read(object, property) {
                    return Ok(match self.env.get(name) {
                        Some(value) => Value::Str(Str {
                            value: value.clone(),
                            span,
                            via: Via::EnvVar(name.to_string()),
                        }),
                        None => Value::EnvUnset {
                            name: name.to_string(),
                            span,
                        },
                    });
                }
                let key = match property {
                    Key::Static(key, _) => key.clone(),
                    Key::Computed(key) => match self.eval(key)? {
                        Value::Str(s) => s.value,
                        Value::Num(n, _) => format_number(n),
                        other => {
                            return Err(not_constant(
                                key.span,
                                format!("indexes with {}", other.describe()),
                            ));
                        }
                    },
                };
                match self.eval(object)? {
                    Value::Object(o) => match o.field(&key)? {
                        Some(field) => self.eval(field.value)?,
                        None => Value::Undefined(span),
                    },
                    Value::Array(items, _) => {
                        match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                            Some(item) => self.eval(item)?,
                            None => Value::Undefined(span),
                        }
                    }
                    other => {
                        return Err(not_constant(
                            object.span,
                            format!("reads `{key}` of {}", other.describe()),
                        ));
                    }
                }
            }
            ExprKind::Fallback { op, left, right } => {
                let left_value = self.eval(left)?;
                let take_right = match (&left_value, op) {
                    (Value::Null(_) | Value::Undefined(_) | Value::EnvUnset { .. }, _) => true,
                    (_, FallbackOp::Nullish) => false,
                    (Value::Str(s), FallbackOp::Or) => s.value.is_empty(),
                    (Value::Num(n, _), FallbackOp::Or) => *n == 0.0 || n.is_nan(),
                    (Value::Bool(b, _), FallbackOp::Or) => !b,
                    _ => false,
                };
                if !take_right {
                    return Ok(left_value);
                }
                match (self.eval(right)?, left_value) {
                    (Value::Str(mut s), Value::EnvUnset { name, .. }) => {
                        s.via = Via::EnvFallback(name);
                        Value::Str(s)
                    }
                    (
                        Value::Str(mut s),
                        Value::Str(Str {
                            via: Via::EnvVar(name),
                            ..
                        }),
                    ) => {
                        s.via = Via::EnvFallback(name);
                        Value::Str(s)
                    }
                    (right, _) => right,
                }
            }
            ExprKind::Arithmetic { op, left, right } => {
                let (l, r) = (self.eval(left)?, self.eval(right)?);
                match (l, r, op) {
                    (Value::Num(a, _), Value::Num(b, _), op) => Value::Num(
                        match op {
                            ArithmeticOp::Add => a + b,
                            ArithmeticOp::Sub => a - b,
                            ArithmeticOp::Mul => a * b,
                            ArithmeticOp::Div => a / b,
                            ArithmeticOp::Rem => a % b,
                        },
                        span,
                    ),
                    (l @ Value::Str(_), r, ArithmeticOp::Add)
                    | (l, r @ Value::Str(_), ArithmeticOp::Add) => {
                        let (a, via_a) = self.to_template_part(l, left)?;
                        let (b, via_b) = self.to_template_part(r, right)?;
                        let via = if via_a == Via::Literal { via_b } else { via_a };
                        Value::Str(Str {
                            value: a + &b,
                            span,
                            via,
                        })
                    }
                    (l, r, _) => {
                        return Err(not_constant(
                            span,
                            format!("is arithmetic on {} and {}", l.describe(), r.describe()),
                        ));
                    }
                }
            }
            ExprKind::Call { .. } => {
                return Err(not_constant(
                    span,
                    "is a function call, which is not evaluated",
                ));
            }
            ExprKind::Opaque(what) => {
                return Err(not_constant(
                    span,
                    format!("is {what}, which is not evaluated"),
                ));
            }
            ExprKind::TooDeep => return Err(EvalError::TooDeep { span }),
        })
    }

    /// `String(value)` for the parts of a template literal or a string `+`.
    fn to_template_part(&self, value: Value<'m>, expr: &Expr) -> Result<(String, Via), EvalError> {
        Ok(match value {
            Value::Str(s) => (s.value, s.via),
            Value::Num(n, _) => (format_number(n), Via::Literal),
            Value::Bool(b, _) => (b.to_string(), Via::Literal),
            Value::Null(_) => ("null".to_string(), Via::Literal),
            Value::EnvUnset { name, span } => {
                return Err(not_constant(
                    span,
                    format!("reads `process.env.{name}`, which is not set"),
                ));
            }
            other => {
                return Err(not_constant(
                    expr.span,
                    format!("puts {} into a string", other.describe()),
                ));
            }
        })
    }

    fn constant(&self, name: &str, span: Span) -> Result<Value<'m>, EvalError> {
        if let Some(import) = self.module.import(name) {
            return Err(not_constant(
                span,
                format!(
                    "is `{name}`, imported from \"{}\"; other modules are not read",
                    import.source
                ),
            ));
        }
        let Some(declaration) = self.module.declaration(name) else {
            return Err(not_constant(
                span,
                format!("is `{name}`, which is not a top-level const of this file"),
            ));
        };
        match &declaration.kind {
            DeclarationKind::Const(init) => {
                if self.active.borrow().contains(&declaration.name.as_str()) {
                    return Err(not_constant(
                        span,
                        format!("is `{name}`, whose value refers to itself"),
                    ));
                }
                self.active.borrow_mut().push(&declaration.name);
                let value = self.eval(init);
                self.active.borrow_mut().pop();
                value
            }
            DeclarationKind::Mutable(kind) => Err(not_constant(
                span,
                format!("is `{name}`, a `{kind}` binding that may change; declare it with `const`"),
            )),
            DeclarationKind::Other(what) => Err(not_constant(span, format!("is `{name}`, {what}"))),
        }
    }

    fn object_literal(&self, props: &'m [Prop], span: Span) -> Object<'m> {
        let mut entries = Vec::with_capacity(props.len());
        for prop in props {
            match prop {
                Prop::KeyValue {
                    key,
                    key_span,
                    value,
                } => entries.push(Entry::Known {
                    key,
                    key_span: *key_span,
                    value,
                }),
                Prop::Opaque { key, span, what } => entries.push(Entry::Unknown {
                    key: key.as_deref(),
                    span: *span,
                    what: what.to_string(),
                }),
                Prop::Spread(expr) => match self.eval(expr) {
                    Ok(Value::Object(inner)) => entries.extend(inner.entries),
                    Ok(Value::Null(_) | Value::Undefined(_)) => {}
                    Ok(other) => entries.push(Entry::Unknown {
                        key: None,
                        span: expr.span,
                        what: format!("a spread of {}", other.describe()),
                    }),
                    Err(_) => entries.push(Entry::Unknown {
                        key: None,
                        span: expr.span,
                        what: "a spread that cannot be evaluated".to_string(),
                    }),
                },
            }
        }
        Object { span, entries }
    }

    // ---- typed getters: the only entry points passes use ----

    /// The object at `expr`, or a diagnostic naming `path`.
    pub fn object(&self, expr: &'m Expr, path: &str) -> Result<Object<'m>, Diagnostic> {
        match self
            .eval(expr)
            .map_err(|e| to_diagnostic(e, expr, path, Want::Object))?
        {
            Value::Object(o) => Ok(o),
            other => Err(wrong_type(&other, expr, path, Want::Object)),
        }
    }

    /// A string, with a diagnostic when the value is missing, unknown or not a string.
    pub fn string(&self, expr: &'m Expr, path: &str) -> Result<Str, Diagnostic> {
        match self
            .eval(expr)
            .map_err(|e| to_diagnostic(e, expr, path, Want::String))?
        {
            Value::Str(s) => Ok(s),
            Value::EnvUnset { name, span } => Err(missing_env_var(&name, span, path)),
            other => Err(wrong_type(&other, expr, path, Want::String)),
        }
    }

    pub fn number(&self, expr: &'m Expr, path: &str) -> Result<(f64, Span), Diagnostic> {
        match self
            .eval(expr)
            .map_err(|e| to_diagnostic(e, expr, path, Want::Number))?
        {
            Value::Num(n, span) => Ok((n, span)),
            other => Err(wrong_type(&other, expr, path, Want::Number)),
        }
    }

    pub fn boolean(&self, expr: &'m Expr, path: &str) -> Result<(bool, Span), Diagnostic> {
        match self
            .eval(expr)
            .map_err(|e| to_diagnostic(e, expr, path, Want::Boolean))?
        {
            Value::Bool(b, span) => Ok((b, span)),
            other => Err(wrong_type(&other, expr, path, Want::Boolean)),
        }
    }

    /// The elements of an array (spreads of evaluable arrays flattened), unevaluated.
    pub fn array(&self, expr: &'m Expr, path: &str) -> Result<Vec<&'m Expr>, Diagnostic> {
        match self
            .eval(expr)
            .map_err(|e| to_diagnostic(e, expr, path, Want::Array))?
        {
            Value::Array(items, _) => Ok(items),
            other => Err(wrong_type(&other, expr, path, Want::Array)),
        }
    }

    /// Follows consts and member access to the expression that defines a value,
    /// without evaluating it: how providers built by helper calls are found.
    pub fn deref(&self, expr: &'m Expr, path: &str) -> Result<&'m Expr, Diagnostic> {
        let mut current = expr;
        // Each hop follows one const or property; a cycle is cut after this many.
        for _ in 0..256 {
            let next = match &current.kind {
                ExprKind::Ident(name) if name != "undefined" => {
                    match self.module.declaration(name).map(|d| &d.kind) {
                        Some(DeclarationKind::Const(init)) => init,
                        _ => return Ok(current),
                    }
                }
                ExprKind::Member { object, property } if env_read(object, property).is_none() => {
                    let key = match property {
                        Key::Static(key, _) => key.as_str(),
                        Key::Computed(_) => return Ok(current),
                    };
                    let object = self.object(object, path)?;
                    match object.get(key, path)? {
                        Some(field) => field.value,
                        None => return Ok(current),
                    }
                }
                _ => return Ok(current),
            };
            current = next;
        }
        Err(to_diagnostic(
            not_constant(current.span, "refers to itself"),
            expr,
            path,
            Want::Object,
        ))
    }

    /// Whether `expr` evaluates to `undefined` (an optional value left out).
    pub fn is_undefined(&self, expr: &'m Expr) -> bool {
        matches!(self.eval(expr), Ok(Value::Undefined(_)))
    }
}

impl<'m> Object<'m> {
    /// The property `key`, following JavaScript's last-one-wins rule. An entry that
    /// cannot be evaluated and might define `key` makes the read an error.
    pub fn field(&self, key: &str) -> Result<Option<Field<'m>>, EvalError> {
        for entry in self.entries.iter().rev() {
            match entry {
                Entry::Known {
                    key: k,
                    key_span,
                    value,
                } if *k == key => {
                    return Ok(Some(Field {
                        key_span: *key_span,
                        value,
                    }));
                }
                Entry::Unknown {
                    key: Some(k),
                    span,
                    what,
                } if *k == key => {
                    return Err(not_constant(
                        *span,
                        format!("is {what}, which is not evaluated"),
                    ));
                }
                Entry::Unknown {
                    key: None,
                    span,
                    what,
                } => {
                    return Err(not_constant(
                        *span,
                        format!("is {what}, which might define `{key}`"),
                    ));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Like [`Object::field`], reported as a diagnostic for the property's path.
    pub fn get(&self, key: &str, path: &str) -> Result<Option<Field<'m>>, Diagnostic> {
        self.field(key).map_err(|e| match e {
            EvalError::NotConstant { span, why } => Diagnostic::new(
                Code::ConfigNotConstant,
                format!("`{path}` is not known at compile time"),
                span,
                format!("this {why}"),
            )
            .with_help(format!(
                "write `{key}` as a plain property of this object, after any spread"
            )),
            EvalError::TooDeep { span } => too_deep(span),
        })
    }

    /// The keys written in this object (spreads included), each with its key's
    /// and its value's span; computed keys, methods and unevaluable spreads are left out.
    pub fn keys(&self) -> impl Iterator<Item = (&'m str, Span, Span)> + '_ {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Known {
                key,
                key_span,
                value,
            } => Some((*key, *key_span, value.span)),
            Entry::Unknown { .. } => None,
        })
    }

    /// Every property in written order (a key written twice: its last value, at
    /// its first position). An entry that cannot be evaluated makes this an error,
    /// since it might add keys.
    pub fn fields(&self, path: &str) -> Result<Vec<(&'m str, Field<'m>)>, Diagnostic> {
        let mut out: Vec<(&'m str, Field<'m>)> = Vec::new();
        // Where each key sits in `out`: a linear pass however many keys there are.
        let mut slots: std::collections::HashMap<&'m str, usize> = Default::default();
        for entry in &self.entries {
            match entry {
                Entry::Known {
                    key,
                    key_span,
                    value,
                } => {
                    let field = Field {
                        key_span: *key_span,
                        value,
                    };
                    match slots.get(key) {
                        Some(&slot) => out[slot].1 = field,
                        None => {
                            slots.insert(key, out.len());
                            out.push((key, field));
                        }
                    }
                }
                Entry::Unknown { span, what, .. } => {
                    return Err(Diagnostic::new(
                        Code::ConfigNotConstant,
                        format!("the keys of `{path}` are not known at compile time"),
                        *span,
                        format!("this is {what}, which is not evaluated"),
                    )
                    .with_help(format!(
                        "write every entry of `{path}` as a plain `name: value` property"
                    )));
                }
            }
        }
        Ok(out)
    }
}

/// `process.env.NAME` or `process.env["NAME"]`.
fn env_read<'e>(object: &'e Expr, property: &'e Key) -> Option<&'e str> {
    let ExprKind::Member {
        object: process,
        property: Key::Static(env, _),
    } = &object.kind
    else {
        return None;
    };
    let (ExprKind::Ident(p), "env", Key::Static(name, _)) = (&process.kind, env.as_str(), property)
    else {
        return None;
    };
    (p == "process").then_some(name.as_str())
}

fn not_constant(span: Span, why: impl Into<String>) -> EvalError {
    EvalError::NotConstant {
        span,
        why: why.into(),
    }
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::SyntaxTooDeep,
        "an expression is nested too deeply to evaluate",
        span,
        "nested too deeply",
    )
    .with_help("flatten the expression; a real config is never nested this deeply")
}

fn to_diagnostic(error: EvalError, expr: &Expr, path: &str, want: Want) -> Diagnostic {
    match error {
        EvalError::TooDeep { span } => too_deep(span),
        EvalError::NotConstant { span, why } => {
            let mut d = Diagnostic::new(
                Code::ConfigNotConstant,
                format!("`{path}` is not known at compile time"),
                span,
                format!("this {why}"),
            );
            if span != expr.span {
                d = d.with_label(expr.span, format!("`{path}` is read from here"));
            }
            d.with_help(format!(
                "expected {} known at compile time: write a literal, a top-level const, or `process.env.NAME`",
                want.describe()
            ))
        }
    }
}

fn wrong_type(value: &Value, expr: &Expr, path: &str, want: Want) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::ConfigWrongType,
        format!(
            "`{path}` must be {}, found {}",
            want.describe(),
            value.describe()
        ),
        value.span(),
        format!("this is {}", value.describe()),
    );
    if value.span() != expr.span {
        d = d.with_label(expr.span, format!("`{path}` is read from here"));
    }
    d.with_help(format!("give `{path}` {} value", want.describe()))
}

fn missing_env_var(name: &str, span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ConfigMissingEnvVar,
        format!("environment variable `{name}` is not set"),
        span,
        format!("`{path}` reads `{name}` here"),
    )
    .with_help(format!(
        "set `{name}` where quickback-kv runs, or add a fallback: `process.env.{name} ?? \"<id>\"`"
    ))
}

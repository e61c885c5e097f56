//! A linear pre-scan that refuses input nested too deeply for swc's recursive
//! parser (which would exhaust the stack and kill the process) or with more
//! possible type-argument openings than swc can backtrack over in linear time,
//! and that says how deep the rest goes, so the caller knows whether the
//! parse needs a thread with a large stack.
//!
//! Three measures, all far above anything a real config reaches:
//! - bracket depth: `(`, `[`, `{` and template `${`;
//! - chain length: every token swc may recurse on without a bracket, counted
//!   along the current bracket path: operators, prefix keywords (`typeof`,
//!   `new`, `await`, …), statement keywords whose body is a statement (`if`,
//!   `else`, `while`, `for`, `do`, `with`; labels count through their `:`), and
//!   type operators (`keyof`, `infer`, `extends`, …). `,` and `;` reset it to
//!   where it was when the innermost bracket or open `<` began (a `;` followed by
//!   `else` does not: `if (a) x; else if …` nests), and so does a statement
//!   keyword after `}` (the statement before it has ended);
//! - open `<`: every `<` that could start type arguments stays open until a `>`
//!   or the end of its bracket (or statement). swc tries type arguments at each
//!   `<` and re-parses when that fails, so nested ones cost time that grows
//!   faster than the input (exponentially when brackets between them switch swc
//!   back from types to expressions); bounding how many are open, and in how
//!   many brackets, keeps the parse linear.
//!
//! Comments, strings, regular expressions and template text are skipped. Where
//! the scan could misjudge whether a `/` starts a regular expression or divides
//! (after `)`, `}`, `]`, a word, `++`/`--`), the rest of that line is suspect:
//! what a skipped region begun there holds is counted into the chain as if it
//! were code, so a misjudgement can only over-count. In `.tsx` files every
//! skipped region is suspect (JSX text is not scanned as text) and `;` does not
//! reset.

/// The deepest bracket nesting accepted. Real configs stay under 20.
pub const MAX_DEPTH: usize = 256;
/// The longest chain accepted along one bracket path.
pub const MAX_CHAIN: usize = 5_000;
/// The most `<` that may be open at once along one bracket path.
pub const MAX_ANGLES: usize = 16;
/// The most brackets along one path that may hold an open `<`. Between two
/// such `<` a bracket can switch swc from a type back to an expression (a
/// computed key `[…]` in an object type, a template `${…}`), where it tries
/// type arguments again: the cost doubles with every such level.
pub const MAX_ANGLE_LEVELS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooDeep {
    Brackets(usize),
    Chain(usize),
    Angles(usize),
}

/// What the scan found in an accepted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Depth {
    /// The largest bracket depth plus chain length anywhere: an upper bound,
    /// up to a constant factor, on how deep swc recurses on this text.
    pub nesting: usize,
}

struct Level {
    /// The chain count when this level opened; `,` and `;` reset to it.
    base: usize,
    kind: LevelKind,
    /// Open `<` in this level: the chain count after each.
    angles: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LevelKind {
    Root,
    /// A template's `${`, whose `}` resumes template text.
    Substitution,
    /// `(` of `if`/`while`/`for`/`with`: a `/` after its `)` starts a regular expression.
    ConditionParen,
    /// A `{` in statement position (a block, a body): a `/` after it starts a regular expression.
    Block,
    Other,
}

/// What the previous token lets a `/` be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// After an operator, an opening bracket, a keyword such as `return`: a regular expression.
    Operator,
    /// After a value: division.
    Operand,
    /// After `)`, `]`, `}`, a word or `++`/`--`: judged by the token kind, but suspect.
    Ambiguous { regex: bool },
}

/// Keywords swc may recurse on, each counted as one chain step.
const CHAIN_KEYWORDS: &[&[u8]] = &[
    b"typeof",
    b"void",
    b"delete",
    b"await",
    b"new",
    b"yield",
    b"async",
    b"if",
    b"else",
    b"while",
    b"for",
    b"do",
    b"with",
    b"keyof",
    b"infer",
    b"readonly",
    b"unique",
    b"asserts",
    b"is",
    b"extends",
    b"implements",
    b"abstract",
    b"declare",
    b"namespace",
    b"module",
    b"in",
    b"of",
    b"instanceof",
    b"as",
    b"satisfies",
    b"export",
    b"import",
    b"case",
    b"throw",
    b"return",
];

/// Words after which `/` starts a regular expression.
const OPERATOR_WORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
    b"extends",
];

/// Words that start a statement and cannot continue an expression: after `}`
/// they mean the statement before has ended.
const STATEMENT_WORDS: &[&[u8]] = &[
    b"export",
    b"import",
    b"function",
    b"class",
    b"const",
    b"let",
    b"var",
    b"interface",
    b"type",
    b"enum",
    b"declare",
    b"namespace",
    b"abstract",
    b"async",
    b"if",
    b"for",
    b"while",
    b"return",
    b"throw",
    b"try",
    b"switch",
];

/// The first place where a limit is passed, if any.
pub fn too_deep(text: &str) -> Option<TooDeep> {
    scan(text, false).err()
}

/// Scans `text` (TypeScript, or TSX when `tsx`): the deepest nesting, or where a limit is passed.
pub fn scan(text: &str, tsx: bool) -> Result<Depth, TooDeep> {
    Scanner {
        bytes: text.as_bytes(),
        tsx,
        levels: vec![Level {
            base: 0,
            kind: LevelKind::Root,
            angles: Vec::new(),
        }],
        chain: 0,
        hidden: 0,
        angles: 0,
        angle_levels: 0,
        prev: Prev::Operator,
        suspect_until: if tsx { usize::MAX } else { 0 },
        resume: None,
        after_brace: false,
        max: 0,
    }
    .run()
}

struct Scanner<'a> {
    bytes: &'a [u8],
    tsx: bool,
    /// Never empty: the root level is first and never closed.
    levels: Vec<Level>,
    chain: usize,
    /// What suspect skipped regions held, counted as chain for the rest of the text.
    hidden: usize,
    /// Open `<` over all levels.
    angles: usize,
    /// Levels holding an open `<`.
    angle_levels: usize,
    prev: Prev,
    /// Skipped regions starting before this index are suspect.
    suspect_until: usize,
    /// The chain before the last `;` reset, for an `else` right after it.
    resume: Option<usize>,
    /// The previous token closed a `{`.
    after_brace: bool,
    max: usize,
}

impl Scanner<'_> {
    fn run(mut self) -> Result<Depth, TooDeep> {
        let bytes = self.bytes;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let start = i;
            // Whitespace and comments do not change what the previous token was.
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    i += 1;
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    let end = line_end(bytes, i);
                    self.skipped(i, end);
                    i = end;
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    let end = find(bytes, i + 2, b"*/").map_or(bytes.len(), |e| e + 2);
                    self.skipped(i, end);
                    i = end;
                    continue;
                }
                _ => {}
            }
            let resume = self.resume.take();
            let after_brace = std::mem::replace(&mut self.after_brace, false);
            match b {
                b'(' | b'[' | b'{' => {
                    let kind = if b == b'('
                        && self.word_before_is(i, &[b"if", b"while", b"for", b"with"])
                    {
                        LevelKind::ConditionParen
                    } else if b == b'{' && self.block_brace(i) {
                        LevelKind::Block
                    } else {
                        LevelKind::Other
                    };
                    self.open(kind);
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    let kind = self.close();
                    i += 1;
                    if b == b'}' && kind == LevelKind::Substitution {
                        i = self.template(i)?;
                        continue;
                    }
                    self.prev = Prev::Ambiguous {
                        regex: matches!(kind, LevelKind::ConditionParen | LevelKind::Block),
                    };
                    self.after_brace = b == b'}';
                }
                b',' => {
                    self.chain = self.reset_point();
                    self.prev = Prev::Operator;
                    i += 1;
                }
                b';' => {
                    if !self.tsx {
                        self.resume = Some(self.chain);
                        self.end_statement();
                    }
                    self.prev = Prev::Operator;
                    i += 1;
                }
                b'\'' | b'"' => {
                    i = skip_string(bytes, i + 1, b);
                    self.skipped(start, i);
                    self.prev = Prev::Operand;
                }
                b'`' => {
                    i = self.template(i + 1)?;
                    continue;
                }
                b'/' => {
                    let regex = match self.prev {
                        Prev::Operator => true,
                        Prev::Operand => false,
                        Prev::Ambiguous { regex } => {
                            // Once per line: the rest of it is suspect already.
                            if i >= self.suspect_until {
                                self.suspect_until = line_end(bytes, i);
                            }
                            regex
                        }
                    };
                    if regex {
                        i = skip_regex(bytes, i + 1);
                        self.skipped(start, i);
                        self.prev = Prev::Operand;
                    } else {
                        self.chain += 1;
                        self.prev = Prev::Operator;
                        i += 1;
                    }
                }
                b'<' => {
                    self.chain += 1;
                    match bytes.get(i + 1) {
                        // `<<`, `<=`, `<<=`: never type arguments.
                        Some(b'<' | b'=') => {
                            i += 2;
                            if bytes.get(i) == Some(&b'=') {
                                i += 1;
                            }
                        }
                        _ => {
                            self.angles += 1;
                            let chain = self.chain;
                            let level = self.top();
                            level.angles.push(chain);
                            if level.angles.len() == 1 {
                                self.angle_levels += 1;
                            }
                            if self.angles > MAX_ANGLES || self.angle_levels > MAX_ANGLE_LEVELS {
                                return Err(TooDeep::Angles(i));
                            }
                            i += 1;
                        }
                    }
                    self.prev = Prev::Operator;
                }
                b'>' => {
                    self.chain += 1;
                    // `>=` (also the end of `>>=`) never closes type arguments.
                    if bytes.get(i + 1) != Some(&b'=') && self.top().angles.pop().is_some() {
                        self.angles -= 1;
                        if self.top().angles.is_empty() {
                            self.angle_levels -= 1;
                        }
                    }
                    self.prev = Prev::Operator;
                    i += 1;
                }
                b'=' if bytes.get(i + 1) == Some(&b'>') => {
                    self.chain += 1;
                    self.prev = Prev::Operator;
                    i += 2;
                }
                b'+' | b'-' if bytes.get(i + 1) == Some(&b) => {
                    // `++`/`--`: prefix after an operator, postfix after a value.
                    self.chain += 1;
                    self.prev = match self.prev {
                        Prev::Operator => Prev::Operator,
                        _ => Prev::Ambiguous { regex: false },
                    };
                    i += 2;
                }
                b'!' | b'~' | b'+' | b'-' | b'*' | b'%' | b'=' | b'&' | b'|' | b'^' | b'?'
                | b':' | b'.' | b'@' => {
                    self.chain += 1;
                    self.prev = Prev::Operator;
                    i += 1;
                }
                b'0'..=b'9' => {
                    while i < bytes.len() && (is_word_byte(bytes[i]) || bytes[i] == b'.') {
                        i += 1;
                    }
                    self.prev = Prev::Operand;
                }
                _ if is_word_byte(b) => {
                    while i < bytes.len() && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    let word = &bytes[start..i];
                    if after_brace && STATEMENT_WORDS.contains(&word) {
                        self.end_statement();
                    }
                    if word == b"else"
                        && let Some(before) = resume
                    {
                        self.chain = self.chain.max(before);
                    }
                    if CHAIN_KEYWORDS.contains(&word) {
                        self.chain += 1;
                    }
                    self.prev = if OPERATOR_WORDS.contains(&word) {
                        Prev::Operator
                    } else {
                        Prev::Ambiguous { regex: false }
                    };
                }
                // `#private`, `\u` escapes and anything else: no nesting of its own.
                _ => {
                    i += 1;
                }
            }
            self.check(start)?;
        }
        Ok(Depth { nesting: self.max })
    }

    fn top(&mut self) -> &mut Level {
        let last = self.levels.len() - 1;
        &mut self.levels[last]
    }

    /// Where `,` resets the chain to: the innermost open `<` or bracket.
    fn reset_point(&self) -> usize {
        self.levels
            .last()
            .map_or(0, |l| l.angles.last().copied().unwrap_or(l.base))
    }

    /// A statement ended: open `<` of this level were comparisons, the chain restarts.
    fn end_statement(&mut self) {
        let level = self.top();
        let open = level.angles.len();
        level.angles.clear();
        let base = level.base;
        self.angles -= open;
        if open > 0 {
            self.angle_levels -= 1;
        }
        self.chain = base;
    }

    fn open(&mut self, kind: LevelKind) {
        self.levels.push(Level {
            base: self.chain,
            kind,
            angles: Vec::new(),
        });
        self.prev = Prev::Operator;
    }

    /// Closes the innermost level (a stray closer only resets the root's chain).
    fn close(&mut self) -> LevelKind {
        if self.levels.len() == 1 {
            self.end_statement();
            return LevelKind::Root;
        }
        match self.levels.pop() {
            Some(level) => {
                self.angles -= level.angles.len();
                if !level.angles.is_empty() {
                    self.angle_levels -= 1;
                }
                self.chain = level.base;
                level.kind
            }
            None => LevelKind::Root,
        }
    }

    fn check(&mut self, at: usize) -> Result<(), TooDeep> {
        let depth = self.levels.len() - 1;
        if depth > MAX_DEPTH {
            return Err(TooDeep::Brackets(at));
        }
        let chain = self.chain + self.hidden;
        if chain > MAX_CHAIN {
            return Err(TooDeep::Chain(at));
        }
        self.max = self.max.max(depth + chain);
        Ok(())
    }

    /// Whether the word right before `i` is one of `words`.
    fn word_before_is(&self, i: usize, words: &[&[u8]]) -> bool {
        let before = self.bytes[..i].trim_ascii_end();
        let start = before
            .iter()
            .rposition(|b| !is_word_byte(*b))
            .map_or(0, |p| p + 1);
        words.contains(&&before[start..])
    }

    /// Whether the `{` at `i` opens a block or a body rather than an object
    /// (judged from the byte or word before it; only the `/` after its `}` depends on it).
    fn block_brace(&self, i: usize) -> bool {
        let before = self.bytes[..i].trim_ascii_end();
        match before.last() {
            None | Some(b')' | b';' | b'{' | b'}') => true,
            Some(b'>') => before.ends_with(b"=>"),
            Some(_) => self.word_before_is(i, &[b"else", b"do", b"try", b"finally"]),
        }
    }

    /// A skipped region `start..end`: counted as code when it is suspect.
    fn skipped(&mut self, start: usize, end: usize) {
        if start < self.suspect_until {
            self.hidden += code_like_tokens(&self.bytes[start..end.min(self.bytes.len())]);
        }
    }

    /// Skips template text from `i` (inside a template). Stops after the closing
    /// backtick, or after a `${`, which opens a substitution level.
    fn template(&mut self, mut i: usize) -> Result<usize, TooDeep> {
        let start = i;
        let bytes = self.bytes;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'`' => {
                    self.skipped(start, i);
                    self.prev = Prev::Operand;
                    return Ok(i + 1);
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    self.skipped(start, i);
                    self.open(LevelKind::Substitution);
                    self.check(i)?;
                    return Ok(i + 2);
                }
                _ => i += 1,
            }
        }
        self.skipped(start, bytes.len());
        Ok(bytes.len())
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'\\' || b >= 0x80
}

/// An upper bound on the tokens in `text` were it code: punctuation bytes plus words.
fn code_like_tokens(text: &[u8]) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for &b in text {
        let word = is_word_byte(b);
        if (word && !in_word) || (!word && !b.is_ascii_whitespace()) {
            count += 1;
        }
        in_word = word;
    }
    count
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Skips a quoted string starting after its opening quote; returns the index after it.
fn skip_string(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i + 1,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Skips a regular expression's body and closing `/` from after its opening `/`
/// (a line end also ends it: swc then reports the unterminated literal).
fn skip_regex(bytes: &[u8], mut i: usize) -> usize {
    let mut class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            b'[' => {
                class = true;
                i += 1;
            }
            b']' => {
                class = false;
                i += 1;
            }
            b'/' if !class => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests;

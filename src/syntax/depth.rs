//! A linear pre-scan that refuses input nested too deeply for swc's recursive
//! parser, which otherwise exhausts the stack and kills the process.
//!
//! Two measures, both far above anything a real config reaches:
//! - bracket depth: `(`, `[`, `{` and template `${`;
//! - operator chain length: operators and prefix keywords (`typeof`, `await`, …)
//!   counted along the current bracket path and reset by `,` and `;`. This bounds
//!   unbracketed nesting such as `!!!!x`, `a ? b : c ? …` or `x => x => …`.
//!
//! Comments, strings and template text are skipped. Regular-expression literals
//! are not recognised; their few brackets cannot matter against these limits.
//! With both limits the deepest swc tree is about `MAX_CHAIN + MAX_DEPTH` levels,
//! which the parse thread's stack (see `compile`) holds with a wide margin.

/// The deepest bracket nesting accepted. Real configs stay under 20.
pub const MAX_DEPTH: usize = 256;
/// The longest operator chain accepted along one bracket path.
pub const MAX_CHAIN: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooDeep {
    Brackets(usize),
    Chain(usize),
}

struct Level {
    /// The chain count when this level opened; `,` and `;` reset to it.
    base: usize,
    /// Whether the level is a template's `${`, whose `}` resumes template text.
    substitution: bool,
}

const PREFIX_KEYWORDS: &[&[u8]] = &[
    b"typeof", b"void", b"delete", b"await", b"new", b"yield", b"async",
];

/// The first place where either limit is passed, if any.
pub fn too_deep(text: &str) -> Option<TooDeep> {
    let bytes = text.as_bytes();
    let mut levels: Vec<Level> = Vec::new();
    let mut chain = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'(' | b'[' | b'{' => {
                levels.push(Level {
                    base: chain,
                    substitution: false,
                });
                if levels.len() > MAX_DEPTH {
                    return Some(TooDeep::Brackets(i));
                }
            }
            b')' | b']' | b'}' => {
                let level = levels.pop();
                chain = level.as_ref().map_or(0, |l| l.base);
                if b == b'}' && level.is_some_and(|l| l.substitution) {
                    i = skip_template(bytes, i + 1, &mut levels, chain);
                    if levels.len() > MAX_DEPTH {
                        return Some(TooDeep::Brackets(i - 2));
                    }
                    continue;
                }
            }
            b',' | b';' => chain = levels.last().map_or(0, |l| l.base),
            b'\'' | b'"' => {
                i = skip_string(bytes, i + 1, b);
                continue;
            }
            b'`' => {
                i = skip_template(bytes, i + 1, &mut levels, chain);
                if levels.len() > MAX_DEPTH {
                    return Some(TooDeep::Brackets(i - 2));
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'!' | b'~' | b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'=' | b'&' | b'|'
            | b'^' | b'?' | b':' | b'.' => {
                chain += 1;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                if PREFIX_KEYWORDS.contains(&&bytes[start..i]) {
                    chain += 1;
                }
                if chain > MAX_CHAIN {
                    return Some(TooDeep::Chain(start));
                }
                continue;
            }
            _ => {}
        }
        if chain > MAX_CHAIN {
            return Some(TooDeep::Chain(i));
        }
        i += 1;
    }
    None
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
    i
}

/// Skips template text starting inside a template. Returns the index after the
/// closing backtick, or after a `${`, which opens a substitution level.
fn skip_template(bytes: &[u8], mut i: usize, levels: &mut Vec<Level>, chain: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                levels.push(Level {
                    base: chain,
                    substitution: true,
                });
                return i + 2;
            }
            _ => i += 1,
        }
    }
    i.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings_comments_and_templates() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(too_deep(&deep), Some(TooDeep::Brackets(MAX_DEPTH)));
        assert_eq!(too_deep(&"[".repeat(MAX_DEPTH)), None);
        let hidden = format!("'{deep}' \"{deep}\" // {deep}\n /* {deep} */ `{deep}`");
        assert_eq!(too_deep(&hidden), None);
    }

    #[test]
    fn template_substitutions_nest() {
        assert!(matches!(
            too_deep(&"`${".repeat(MAX_DEPTH + 1)),
            Some(TooDeep::Brackets(_))
        ));
        assert_eq!(too_deep(&"`${ {a: `${ [1] }`} }`".repeat(1000)), None);
    }

    #[test]
    fn long_operator_chains_are_refused_but_separated_ones_are_not() {
        assert!(matches!(
            too_deep(&"!".repeat(MAX_CHAIN + 1)),
            Some(TooDeep::Chain(_))
        ));
        assert!(matches!(
            too_deep(&"typeof ".repeat(MAX_CHAIN + 1)),
            Some(TooDeep::Chain(_))
        ));
        // Chains inside nested brackets add up along the path.
        let nested = format!("{}{}", "a.b(".repeat(MAX_DEPTH - 1), "x.".repeat(MAX_CHAIN));
        assert!(matches!(too_deep(&nested), Some(TooDeep::Chain(_))));
        // Separated statements and closed groups do not.
        assert_eq!(too_deep(&"a.b.c = 1;\n".repeat(MAX_CHAIN)), None);
        assert_eq!(
            too_deep(&format!("[{}]", "(a + b) * ".repeat(MAX_CHAIN / 2))),
            None
        );
    }
}

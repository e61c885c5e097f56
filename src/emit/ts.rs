//! The one way text reaches generated TypeScript: as a string literal or inside
//! a comment. Templates receive only values that passed through here, or
//! identifiers and numbers that validation has already checked.

/// A double-quoted TypeScript string literal for any text. Escapes quotes,
/// backslashes, control characters, and U+2028/U+2029 (line terminators in
/// older JavaScript parsers), so no value can end the literal early.
pub fn string_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe inside a `//` or `/** */` comment: one line, and no `*/`.
pub fn comment_text(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .replace("*/", "*\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_be_broken_out_of() {
        assert_eq!(string_literal(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string_literal("x\ny\u{2028}\u{0}"), r#""x\ny\u2028\u{0}""#);
        assert_eq!(string_literal("session:"), "\"session:\"");
    }

    #[test]
    fn comments_cannot_be_closed_early() {
        assert_eq!(comment_text("a */ b\nc"), "a *\\/ b c");
    }
}

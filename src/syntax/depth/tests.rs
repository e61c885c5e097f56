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

fn nesting(text: &str) -> usize {
    scan(text, false).map(|d| d.nesting).unwrap_or(usize::MAX)
}

#[test]
fn regular_expressions_are_skipped_like_strings() {
    // The quote inside the regex does not open a string.
    let deep = format!("const r = /\"/; const x = {}1;", "(".repeat(MAX_DEPTH + 1));
    assert!(matches!(too_deep(&deep), Some(TooDeep::Brackets(_))));
    // Brackets inside a regex or its class do not count.
    assert_eq!(
        too_deep(&format!("const r = /{}[/]/;", "\\(".repeat(MAX_DEPTH + 1))),
        None
    );
    // After a condition's `)`, `/` starts a regex; after a value's, it divides.
    assert!(nesting("if (a) /(/.test(b);") < 10);
    assert!(nesting("const x = (a) / (b);") < 10);
}

#[test]
fn a_misjudged_slash_can_only_over_count() {
    // `a / "…` on one line: the string is suspect, so what it holds is counted.
    let hidden = format!("x = a / \"{}\"", "(".repeat(MAX_CHAIN + 1));
    assert!(matches!(too_deep(&hidden), Some(TooDeep::Chain(_))));
    // A string on a line without a doubtful `/` is text.
    assert_eq!(
        too_deep(&format!("x = \"{}\"", "(".repeat(MAX_CHAIN + 1))),
        None
    );
}

#[test]
fn statement_bodies_and_else_chains_nest() {
    assert!(matches!(
        too_deep(&"while(a)".repeat(MAX_CHAIN + 1)),
        Some(TooDeep::Chain(_))
    ));
    assert!(matches!(
        too_deep(&"if(a) b; else ".repeat(MAX_CHAIN + 1)),
        Some(TooDeep::Chain(_))
    ));
    assert!(matches!(
        too_deep(&"if(a){} else ".repeat(MAX_CHAIN + 1)),
        Some(TooDeep::Chain(_))
    ));
    // Sequential statements do not.
    assert_eq!(too_deep(&"if(a){}\n".repeat(MAX_CHAIN + 1)), None);
    assert_eq!(
        too_deep(&"export function f(): T<U> {}\n".repeat(MAX_CHAIN + 1)),
        None
    );
}

#[test]
fn open_angles_are_bounded_but_closed_ones_are_not() {
    let open = format!("type T = {}x;", "A<y, ".repeat(MAX_ANGLES + 1));
    assert!(matches!(too_deep(&open), Some(TooDeep::Angles(_))));
    assert_eq!(
        too_deep(&format!("type T = [{}];", "A<B<C>>, ".repeat(10_000))),
        None
    );
    // `=>`, `>=` and `<=` neither open nor close.
    assert_eq!(too_deep(&"f(a <= b, (x) => x, c >= d);".repeat(100)), None);
    // A statement end closes comparisons.
    assert_eq!(too_deep(&"if (a < b) {}\nx = a < b;\n".repeat(1_000)), None);
}

#[test]
fn tsx_is_scanned_conservatively() {
    let jsx = format!(
        "const x = {}{};",
        "<a>;".repeat(MAX_CHAIN),
        "</a>".repeat(MAX_CHAIN)
    );
    assert!(scan(&jsx, true).is_err());
}

#[test]
fn the_scan_is_linear_on_long_lines() {
    // A million divisions on one line: each `/` is doubtful; the line end is found once.
    let line = format!("x = [{}];", "a / b, ".repeat(1_000_000));
    assert!(scan(&line, false).is_ok());
    let spaced = format!("x{}{};", " ".repeat(1_000_000), "(".repeat(200));
    assert!(scan(&spaced, false).is_ok());
}

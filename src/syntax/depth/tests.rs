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

//! Quick fixes: the compiler's own `Diagnostic::fix`, offered where the editor asks
//! for actions on a range that touches the diagnostic or one of the fix's edits.
//! No fix is invented here; the compiler attaches one only where it is unambiguous.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};

use super::convert::{Convert, overlaps};
use super::explain::Links;
use crate::diagnostics::Diagnostic;

/// The quick fixes for `range` in the document `uri`.
pub fn quick_fixes(
    diagnostics: &[Diagnostic],
    convert: &mut Convert,
    links: &Links,
    uri: &Uri,
    range: Range,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    for d in diagnostics {
        let Some(fix) = &d.fix else { continue };
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        let mut touches = convert.uri(d.primary().span.file).as_ref() == Some(uri)
            && overlaps(convert.range(d.primary().span), range);
        let mut complete = true;
        for edit in &fix.edits {
            let Some(edit_uri) = convert.uri(edit.span.file) else {
                complete = false;
                break;
            };
            let edit_range = convert.range(edit.span);
            touches |= &edit_uri == uri && overlaps(edit_range, range);
            changes
                .entry(edit_uri)
                .or_default()
                .push(TextEdit::new(edit_range, edit.replacement.clone()));
        }
        // Half a fix would leave the config in a state the compiler did not propose.
        if !touches || !complete {
            continue;
        }
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.message.clone(),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![convert.diagnostic(d, links)]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    actions
}

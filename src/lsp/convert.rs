//! The compiler's plain values as LSP values: diagnostics, hover text and definition ranges.
//!
//! A diagnostic keeps what `mpcc check` prints: its code, primary range and message (the first
//! line of the LSP message), then its primary label, its notes (`note: …`) and its help line
//! (`help: …`) on the following lines; secondary labels become related information. Symbol
//! lookup, hover and definition read the compiler's `SymbolInfo` table. No IO happens here.

use super::position::LineIndex;
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Uri};
use mpcc_compiler::{builtins, Diagnostic, Severity, Span, SymbolInfo, SymbolKind};

/// The LSP range of a byte span.
pub fn range(index: &LineIndex, span: Span) -> Range {
    Range::new(index.position(span.start as usize), index.position(span.end as usize))
}

/// One compiler diagnostic as an LSP diagnostic of the document `uri`.
pub fn diagnostic(index: &LineIndex, uri: &Uri, diag: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = diag.message.clone();
    if !diag.label.is_empty() && diag.label != diag.message {
        message.push('\n');
        message.push_str(&diag.label);
    }
    for note in &diag.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &diag.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = diag
        .secondary
        .iter()
        .map(|(span, text)| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(index, *span)),
            message: text.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: range(index, diag.span),
        severity: Some(match diag.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diag.code.as_str().to_string())),
        code_description: None,
        source: Some("mpcc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The symbol under a byte offset: the innermost whose span contains it (ends included, so a
/// cursor just after a name still finds it).
pub fn symbol_at(symbols: &[SymbolInfo], offset: usize) -> Option<&SymbolInfo> {
    symbols
        .iter()
        .filter(|s| (s.span.start as usize) <= offset && offset <= (s.span.end as usize))
        .min_by_key(|s| s.span.end - s.span.start)
}

/// The identifier around a byte offset, if any.
pub fn word_at(text: &str, offset: usize) -> Option<&str> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    let before = text.get(..offset)?;
    let after = text.get(offset..)?;
    let start = before.char_indices().rev().take_while(|(_, c)| is_ident(*c)).last().map_or(offset, |(i, _)| i);
    let end = offset + after.find(|c: char| !is_ident(c)).unwrap_or(after.len());
    let word = text.get(start..end)?;
    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then_some(word)
}

/// Markdown hover text for the symbol or builtin at `offset`.
pub fn hover_markdown(text: &str, symbols: &[SymbolInfo], offset: usize) -> Option<String> {
    if let Some(symbol) = symbol_at(symbols, offset) {
        let keyword = match symbol.kind {
            SymbolKind::Var => "let",
            SymbolKind::Fn => "fn",
            SymbolKind::Param => "param",
            SymbolKind::Party => "party",
        };
        let mut out = format!("```mpc\n{keyword} {}\n```", symbol.name);
        // A use without its own info shows what its definition knows.
        let info = symbol.info.clone().or_else(|| {
            let def = symbol.def_span?;
            symbols.iter().find(|s| s.span == def && s.name == symbol.name)?.info.clone()
        });
        if let Some(info) = info {
            out.push_str(&format!("\n\n{info}"));
        }
        return Some(out);
    }
    let builtin = builtins::lookup(word_at(text, offset)?)?;
    let mut params: Vec<String> = builtin
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| if i < builtin.required { (*p).to_string() } else { format!("{p}?") })
        .collect();
    if builtin.variadic {
        params.push("…".to_string());
    }
    params.extend(builtin.kwonly.iter().map(|k| format!("{k}=")));
    Some(format!("```mpc\n{}({})\n```\n\nbuiltin: {}", builtin.name, params.join(", "), builtin.rule))
}

/// The definition span of the symbol at `offset`.
pub fn definition(symbols: &[SymbolInfo], offset: usize) -> Option<Span> {
    symbol_at(symbols, offset)?.def_span
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;
    use mpcc_compiler::{compile, CompileOptions};

    const SRC: &str = "parties ALICE;\nlet x = private(src=ALICE, zeros([2, 3]));\nprint(reveal(x));\n";

    fn at(src: &str, needle: &str, nth: usize) -> usize {
        src.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle in source")
    }

    #[test]
    fn hover_on_a_private_use_names_its_party_dtype_and_shape() {
        let c = compile(SRC, &CompileOptions::default());
        let use_site = at(SRC, "x)", 0);
        let text = hover_markdown(SRC, &c.symbols, use_site).expect("hover");
        assert!(text.contains("let x"), "{text}");
        assert!(text.contains("private (from ALICE) real [2, 3]"), "{text}");
    }

    #[test]
    fn hover_on_a_builtin_gives_its_signature_and_rule() {
        let c = compile(SRC, &CompileOptions::default());
        let text = hover_markdown(SRC, &c.symbols, at(SRC, "zeros", 0) + 2).expect("hover");
        assert!(text.contains("zeros(shape)"), "{text}");
        assert!(text.contains("public; shape given by"), "{text}");
        assert_eq!(hover_markdown(SRC, &c.symbols, at(SRC, "));", 0) + 2), None);
    }

    #[test]
    fn definition_of_a_use_is_the_let_site() {
        let c = compile(SRC, &CompileOptions::default());
        let def = definition(&c.symbols, at(SRC, "x)", 0)).expect("definition");
        assert_eq!(def.start as usize, at(SRC, "x =", 0));
    }

    #[test]
    fn diagnostics_carry_code_label_notes_help_and_related_information() {
        let src = "parties ALICE;\nlet x = private(src=ALICE, zeros([2]));\nlet y = x + 1;\nprint(y);\n";
        let c = compile(src, &CompileOptions::default());
        let d = c.diagnostics.first().expect("a diagnostic");
        let index = LineIndex::new(src);
        let uri: Uri = "file:///t.mpc".parse().expect("uri");
        let lsp = diagnostic(&index, &uri, d);
        assert_eq!(lsp.code, Some(NumberOrString::String("E0301".into())));
        assert_eq!(lsp.message.lines().next(), Some(d.message.as_str()));
        assert_eq!(lsp.range.start, Position::new(3, at(src, "y)", 0) as u32 - at(src, "print", 0) as u32));
        for note in &d.notes {
            assert!(lsp.message.contains(&format!("note: {note}")), "{}", lsp.message);
        }
        if let Some(help) = &d.help {
            assert!(lsp.message.contains(&format!("help: {help}")));
        }
        let related = lsp.related_information.unwrap_or_default();
        assert_eq!(related.len(), d.secondary.len());
    }

    #[test]
    fn word_at_finds_identifiers_only() {
        assert_eq!(word_at("a + foo_1(b)", 5), Some("foo_1"));
        assert_eq!(word_at("a + foo_1(b)", 9), Some("foo_1"));
        assert_eq!(word_at("a + 12", 5), None);
        assert_eq!(word_at("a + ", 3), None);
        assert_eq!(word_at("", 10), None);
    }
}

//! The compiler's plain values as LSP values: diagnostics, hover text and definition ranges.
//!
//! A diagnostic keeps what `mpcc check` prints: its code, primary range and message (the first
//! line of the LSP message), then its primary label, its notes (`note: …`) and its help line
//! (`help: …`) on the following lines; secondary labels become related information. Symbol
//! lookup, hover and definition read the compiler's `SymbolInfo` table. No IO happens here.

use super::position::LineIndex;
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Uri};
use mpcc_compiler::{builtins, Diagnostic, Severity, Span, SymbolInfo, SymbolKind};
use mpcc_grammar::ast;
use std::collections::HashMap;

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

/// The identifier around a byte offset, if any, and its span.
pub fn word_at(text: &str, offset: usize) -> Option<(&str, Span)> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    let before = text.get(..offset)?;
    let after = text.get(offset..)?;
    let start = before.char_indices().rev().take_while(|(_, c)| is_ident(*c)).last().map_or(offset, |(i, _)| i);
    let end = offset + after.find(|c: char| !is_ident(c)).unwrap_or(after.len());
    let word = text.get(start..end)?;
    let is_word = !word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit());
    is_word.then_some((word, Span::new(start, end)))
}

/// The first hover line of each function, party and `param`, by the span of its defining name:
/// `fn train(x, y)`, `party BOB (rank 1)`, `param lr = 0.5`; a function's parameter gets its
/// function's signature.
pub fn headers(text: &str, ast: &ast::Program) -> HashMap<Span, String> {
    let mut out = HashMap::new();
    for item in &ast.items {
        match item {
            ast::Item::Parties { names, .. } => {
                for (rank, name) in names.iter().enumerate() {
                    out.insert(name.span, format!("party {} (rank {rank})", name.name));
                }
            }
            ast::Item::Param { name, value, .. } => {
                let value = text.get(value.span.start as usize..value.span.end as usize).unwrap_or("…");
                out.insert(name.span, format!("param {} = {value}", name.name));
            }
            ast::Item::Fn(f) => {
                let params: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
                let signature = format!("fn {}({})", f.name.name, params.join(", "));
                for p in &f.params {
                    out.insert(p.span, format!("{signature} // parameter `{}`", p.name));
                }
                out.insert(f.name.span, signature);
            }
            ast::Item::Use { .. } | ast::Item::Stmt(_) => {}
        }
    }
    out
}

/// Markdown hover text for the symbol or builtin at `offset`, and the span it describes.
pub fn hover_markdown(
    text: &str,
    symbols: &[SymbolInfo],
    headers: &HashMap<Span, String>,
    offset: usize,
) -> Option<(String, Span)> {
    if let Some(symbol) = symbol_at(symbols, offset) {
        let keyword = match symbol.kind {
            SymbolKind::Var => "let",
            SymbolKind::Fn => "fn",
            SymbolKind::Param => "param",
            SymbolKind::Party => "party",
        };
        let header = symbol.def_span.and_then(|def| headers.get(&def));
        let header = header.cloned().unwrap_or_else(|| format!("{keyword} {}", symbol.name));
        let mut out = format!("```mpc\n{header}\n```");
        // A use without its own info shows what its definition knows.
        let info = symbol.info.clone().or_else(|| {
            let def = symbol.def_span?;
            symbols.iter().find(|s| s.span == def && s.name == symbol.name)?.info.clone()
        });
        match (info, symbol.kind) {
            (Some(info), SymbolKind::Fn) => out.push_str(&format!("\n\nthis call gives: {info}")),
            (Some(info), _) => out.push_str(&format!("\n\n{info}")),
            (None, _) => {}
        }
        return Some((out, symbol.span));
    }
    let (word, span) = word_at(text, offset)?;
    let builtin = builtins::lookup(word)?;
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
    let markdown = format!("```mpc\n{}({})\n```\n\nbuiltin: {}", builtin.name, params.join(", "), builtin.rule);
    Some((markdown, span))
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

    /// The hover text at `offset` of `src`, compiled.
    fn hover(src: &str, offset: usize) -> Option<String> {
        let c = compile(src, &CompileOptions::default());
        let headers = c.ast.as_ref().map(|ast| headers(src, ast)).unwrap_or_default();
        hover_markdown(src, &c.symbols, &headers, offset).map(|(text, _)| text)
    }

    #[test]
    fn hover_on_a_private_use_names_its_party_dtype_and_shape() {
        let text = hover(SRC, at(SRC, "x)", 0)).expect("hover");
        assert!(text.contains("let x"), "{text}");
        assert!(text.contains("private (from ALICE) real [2, 3]"), "{text}");
    }

    #[test]
    fn hover_on_a_builtin_gives_its_signature_and_rule() {
        let text = hover(SRC, at(SRC, "zeros", 0) + 2).expect("hover");
        assert!(text.contains("zeros(shape)"), "{text}");
        assert!(text.contains("public; shape given by"), "{text}");
        assert_eq!(hover(SRC, at(SRC, "));", 0) + 2), None);
    }

    #[test]
    fn hover_on_functions_parties_and_params_shows_their_declaration() {
        let src = "parties ALICE, BOB;\nparam lr = 0.5;\nfn step(w, g) { return w - lr * g; }\n\
                   let x = private(src=BOB, ones([2]));\nprint(reveal(step(x, x)));\n";
        let call = hover(src, at(src, "step(x", 0)).expect("hover on a call");
        assert!(call.contains("fn step(w, g)"), "{call}");
        let party = hover(src, at(src, "BOB, ones", 0)).expect("hover on a party");
        assert!(party.contains("party BOB (rank 1)"), "{party}");
        let param = hover(src, at(src, "lr * g", 0)).expect("hover on a param");
        assert!(param.contains("param lr = 0.5"), "{param}");
        let parameter = hover(src, at(src, "g; }", 0)).expect("hover on a function's parameter");
        assert!(parameter.contains("fn step(w, g) // parameter `g`"), "{parameter}");
        assert!(parameter.contains("private (from BOB) real [2]"), "{parameter}");
    }

    #[test]
    fn a_for_variable_has_hover_at_its_definition() {
        let src = "parties ALICE, BOB;\nlet s = 0;\nfor i in 0..3 { s = s + i; }\nprint(s);\n";
        let text = hover(src, at(src, "i in", 0)).expect("hover on the loop variable");
        assert!(text.contains("public int []") && text.contains("counter"), "{text}");
    }

    #[test]
    fn a_function_called_twice_shows_each_call_its_own_labels() {
        let src = "parties ALICE, BOB;\nfn double(v) { let d = v * 2; return d; }\n\
                   let a = double(ones(2));\nlet b = double(private(src=ALICE, ones(2)));\n\
                   print(a);\noutput(b, to=BOB);\n";
        let public_call = hover(src, at(src, "double(ones", 0)).expect("hover on the first call");
        assert!(public_call.contains("this call gives: public"), "{public_call}");
        let private_call = hover(src, at(src, "double(private", 0)).expect("hover on the second call");
        assert!(private_call.contains("this call gives: private (from ALICE)"), "{private_call}");
        let inside = hover(src, at(src, "d = v", 0)).expect("hover inside the function");
        assert!(inside.contains("public") && inside.contains("private (from ALICE)"), "{inside}");
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
        assert_eq!(word_at("a + foo_1(b)", 5), Some(("foo_1", Span::new(4, 9))));
        assert_eq!(word_at("a + foo_1(b)", 9), Some(("foo_1", Span::new(4, 9))));
        assert_eq!(word_at("a + 12", 5), None);
        assert_eq!(word_at("a + ", 3), None);
        assert_eq!(word_at("", 10), None);
    }
}

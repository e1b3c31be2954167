//! The open documents: their text, version, and the last compilation of that text.
//!
//! Text changes arrive as whole-text replacements or as range edits in UTF-16 positions (both
//! sync kinds are accepted); every change drops the cached compilation, which is recomputed on
//! first use. Nothing here talks to the client.

use super::convert;
use super::position::LineIndex;
use lsp_types::TextDocumentContentChangeEvent;
use mpcc_compiler::{CompileOptions, Diagnostic, Span, SymbolInfo};
use std::collections::HashMap;

/// What the compiler said about one version of a document.
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    pub symbols: Vec<SymbolInfo>,
    /// Hover headers of functions, parties and params (see [`convert::headers`]).
    pub headers: HashMap<Span, String>,
}

/// One open document.
pub struct Document {
    pub text: String,
    pub version: i32,
    /// Its file on disk (a `file://` URI), from which its `use` items are resolved.
    pub path: Option<std::path::PathBuf>,
    analysis: Option<Analysis>,
}

impl Document {
    pub fn new(text: String, version: i32) -> Document {
        Document { text, version, path: None, analysis: None }
    }

    /// Applies the changes of one `didChange`, in order.
    pub fn apply(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let index = LineIndex::new(&self.text);
                    let start = index.offset(range.start);
                    let end = index.offset(range.end).max(start);
                    self.text.replace_range(start..end, &change.text);
                }
            }
        }
        self.version = version;
        self.analysis = None;
    }

    /// The compilation of the current text (compiled now if the text changed since).
    pub fn analysis(&mut self) -> &Analysis {
        let text = &self.text;
        let path = &self.path;
        self.analysis.get_or_insert_with(|| {
            let options = CompileOptions::default();
            let compiled = match path.as_ref().and_then(|p| p.to_str()) {
                // `use` items are read from disk next to the document, as `mpcc check` reads them.
                Some(name) => mpcc_compiler::compile_files(name, text, &crate::source::DiskFiles, &options, None),
                None => mpcc_compiler::compile(text, &options),
            };
            let headers = compiled.ast.as_ref().map(|ast| convert::headers(text, ast)).unwrap_or_default();
            let diagnostics = compiled.diagnostics.into_iter().map(|d| in_this_file(d, text)).collect();
            let symbols = compiled.symbols.into_iter().filter(|s| (s.span.end as usize) <= text.len()).collect();
            Analysis { diagnostics, symbols, headers }
        })
    }
}

/// A diagnostic whose span lies in a used file is shown on the document's first `use` item
/// (the editor shows one file), its message saying so.
fn in_this_file(mut d: Diagnostic, text: &str) -> Diagnostic {
    if (d.span.end as usize) <= text.len() {
        return d;
    }
    let at = text.find("use ").unwrap_or(0);
    let end = text.get(at..).and_then(|rest| rest.find(';')).map_or(at, |k| at + k + 1);
    d.message = format!("in a used file: {}", d.message);
    d.span = Span::new(at, end);
    d.secondary.retain(|(span, _)| (span.end as usize) <= text.len());
    d
}

/// `%20` and friends in a URI's path as the bytes they stand for.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The open documents by URI.
#[derive(Default)]
pub struct Documents {
    docs: HashMap<String, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: &str, text: String, version: i32) {
        let mut doc = Document::new(text, version);
        doc.path = uri.strip_prefix("file://").map(|p| std::path::PathBuf::from(percent_decode(p)));
        self.docs.insert(uri.to_string(), doc);
    }
    pub fn close(&mut self, uri: &str) {
        self.docs.remove(uri);
    }
    pub fn get_mut(&mut self, uri: &str) -> Option<&mut Document> {
        self.docs.get_mut(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::Document;
    use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

    fn edit(range: Option<((u32, u32), (u32, u32))>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l0, c0), (l1, c1))| Range::new(Position::new(l0, c0), Position::new(l1, c1))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn range_edits_apply_in_order_with_utf16_columns() {
        let mut doc = Document::new("let é = 1;\nlet 𝑥 = 2;\n".into(), 1);
        // Replace `2` (line 1, after the 2-unit `𝑥`: column 9) and then insert before `é`.
        doc.apply(2, vec![edit(Some(((1, 9), (1, 10))), "42"), edit(Some(((0, 4), (0, 4))), "_")]);
        assert_eq!(doc.text, "let _é = 1;\nlet 𝑥 = 42;\n");
        assert_eq!(doc.version, 2);
        // A deletion across the line break.
        doc.apply(3, vec![edit(Some(((0, 11), (1, 0))), "")]);
        assert_eq!(doc.text, "let _é = 1;let 𝑥 = 42;\n");
    }

    #[test]
    fn full_replacements_and_hostile_ranges_do_not_panic() {
        let mut doc = Document::new("abc".into(), 1);
        doc.apply(2, vec![edit(None, "xyz")]);
        assert_eq!(doc.text, "xyz");
        // End before start, and positions far past the end: clamped.
        doc.apply(3, vec![edit(Some(((0, 2), (0, 1))), "!"), edit(Some(((9, 9), (9, 9))), "?")]);
        assert_eq!(doc.text, "xy!z?");
    }

    #[test]
    fn analysis_follows_the_text() {
        let mut doc = Document::new("let x = ;".into(), 1);
        assert!(!doc.analysis().diagnostics.is_empty());
        doc.apply(2, vec![edit(None, "parties A;\nlet x = 1;\nprint(x);")]);
        assert!(doc.analysis().diagnostics.is_empty(), "{:?}", doc.analysis().diagnostics);
    }

    /// The byte offset of (line, UTF-16 column), walking one character at a time.
    fn walk_offset(text: &str, line: u32, column: u32) -> usize {
        let (mut at_line, mut units) = (0, 0);
        for (i, c) in text.char_indices() {
            if at_line == line && (units >= column || c == '\n') {
                return i;
            }
            if c == '\n' {
                at_line += 1;
            } else if at_line == line {
                units += c.len_utf16() as u32;
            }
        }
        text.len()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        /// Random edits at random (often invalid) positions over text with multi-byte and
        /// two-unit characters: the result is what a character-by-character walk gives, and
        /// the compiler answers every intermediate text.
        #[test]
        fn random_edits_never_panic(
            text in "[a-z(){};= \n\u{e9}\u{1d465}]{0,40}",
            edits in proptest::collection::vec((0u32..4, 0u32..12, 0u32..4, 0u32..12, "[x;(\n\u{1d465}]{0,3}"), 1..6),
        ) {
            let mut expected = text.clone();
            let mut doc = Document::new(text, 1);
            for (l0, c0, l1, c1, insert) in edits {
                let start = walk_offset(&expected, l0, c0);
                let end = walk_offset(&expected, l1, c1).max(start);
                expected.replace_range(start..end, &insert);
                doc.apply(2, vec![edit(Some(((l0, c0), (l1, c1))), &insert)]);
                proptest::prop_assert_eq!(&doc.text, &expected);
                let _ = doc.analysis();
            }
        }
    }
}

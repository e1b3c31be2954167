//! The files of one compilation: the root file and every file it `use`s, laid end to end in one
//! offset space, so that a [`Span`] (two byte offsets, no file) still says where anything is.
//!
//! File `k` starts at `base(k)`, one byte past the end of file `k − 1` (a `\n` sits between), so
//! a span at the very end of a file is still that file's. The concatenated text is what the
//! lowering slices for a span's text; [`Sources::locate`] turns a span back into (file, range)
//! for the renderer and the binary's JSON output.

use crate::Span;

/// One file of a compilation.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFile {
    /// As the user named it (the root) or as resolved from the `use` (relative to the root's
    /// folder, e.g. `dir/model.mpc`).
    pub name: String,
    pub text: String,
    /// Where the file starts in the common offset space.
    pub base: usize,
}

/// Every file of a compilation; the first is the root.
#[derive(Clone, Debug, PartialEq)]
pub struct Sources {
    files: Vec<SourceFile>,
    text: String,
}

impl Sources {
    /// A compilation of one root file.
    pub fn new(name: &str, text: &str) -> Sources {
        Sources {
            files: vec![SourceFile { name: name.to_string(), text: text.to_string(), base: 0 }],
            text: text.into(),
        }
    }

    /// Appends a file; returns its base offset.
    pub(crate) fn add(&mut self, name: &str, text: &str) -> usize {
        self.text.push('\n');
        let base = self.text.len();
        self.text.push_str(text);
        self.files.push(SourceFile { name: name.to_string(), text: text.to_string(), base });
        base
    }

    /// Every file's text, in order, with a `\n` between two files.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The index of the file holding `offset`.
    pub fn file_of(&self, offset: u32) -> usize {
        let offset = offset as usize;
        self.files.iter().rposition(|f| f.base <= offset).unwrap_or(0)
    }

    /// The file of a span (the file of its start) and its byte range inside that file, clamped
    /// to the file.
    pub fn locate(&self, span: Span) -> (usize, std::ops::Range<usize>) {
        let index = self.file_of(span.start);
        let Some(file) = self.files.get(index) else {
            return (0, 0..0);
        };
        let len = file.text.len();
        let start = (span.start as usize).saturating_sub(file.base).min(len);
        let end = (span.end as usize).saturating_sub(file.base).clamp(start, len);
        (index, start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_back_to_their_file() {
        let mut s = Sources::new("main.mpc", "abc");
        let base = s.add("lib.mpc", "fn f() {}");
        assert_eq!(base, 4);
        assert_eq!(s.text(), "abc\nfn f() {}");
        assert_eq!(s.locate(Span::new(1, 2)), (0, 1..2));
        assert_eq!(s.locate(Span::new(3, 3)), (0, 3..3), "the end of the root is the root's");
        assert_eq!(s.locate(Span::new(7, 8)), (1, 3..4));
        assert_eq!(s.locate(Span::new(7, 99)), (1, 3..9), "clamped to the file");
    }
}

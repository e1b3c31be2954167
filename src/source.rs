//! Reading a program's source file, and mapping byte offsets to lines and columns.

use std::path::Path;

/// A source file read from disk, checked to be UTF-8.
pub struct Source {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Reads `path`; the error is a sentence that names the file.
    pub fn read(path: &Path) -> Result<Source, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "`{}` is not valid UTF-8 (first bad byte at offset {}); mpcc sources must be UTF-8 text",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        Ok(Source::new(path.display().to_string(), text))
    }

    pub fn new(name: String, text: String) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { name, text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(0);
        (line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn line_col_counts_from_one_and_in_chars() {
        let src = Source::new("t".into(), "ab\nçd\n".into());
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(1), (1, 2));
        assert_eq!(src.line_col(3), (2, 1));
        assert_eq!(src.line_col(5), (2, 2)); // `ç` is two bytes, one column
        assert_eq!(src.line_col(100), (3, 1));
    }
}

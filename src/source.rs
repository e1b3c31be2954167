//! Reading a program's source file, and mapping byte offsets to files, lines and columns.
//!
//! After compilation a [`Source`] also knows the files the program `use`s
//! ([`Source::set_files`]): a span is an offset into every file laid end to end
//! (`mpcc_compiler::Sources`), and [`Source::position`] names the file it falls in.

use std::path::Path;

/// A source file read from disk, checked to be UTF-8, with the files it uses once compiled.
pub struct Source {
    pub name: String,
    pub text: String,
    files: Vec<File>,
}

struct File {
    name: String,
    text: String,
    base: usize,
    line_starts: Vec<usize>,
}

impl File {
    fn new(name: String, text: String, base: usize) -> File {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        File { name, text, base, line_starts }
    }
}

impl Source {
    /// Reads `path`; the error is a sentence that names the file.
    pub fn read(path: &Path) -> Result<Source, String> {
        let text = read_text(path)?;
        Ok(Source::new(path.display().to_string(), text))
    }

    pub fn new(name: String, text: String) -> Source {
        let files = vec![File::new(name.clone(), text.clone(), 0)];
        Source { name, text, files }
    }

    /// Takes the files of a compilation (the root and every used file).
    pub fn set_files(&mut self, sources: &mpcc_compiler::Sources) {
        self.files = sources.files().iter().map(|f| File::new(f.name.clone(), f.text.clone(), f.base)).collect();
    }

    fn file(&self, offset: usize) -> Option<&File> {
        self.files.iter().rev().find(|f| f.base <= offset)
    }

    /// 1-based line and column (in characters) of a byte offset, in the file that holds it.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let Some(file) = self.file(offset) else {
            return (1, 1);
        };
        let offset = offset.saturating_sub(file.base).min(file.text.len());
        let line = match file.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = file.line_starts.get(line).copied().unwrap_or(0);
        let column = file.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(0);
        (line + 1, column + 1)
    }

    /// The index of the file that holds a byte offset (0: the root).
    pub fn file_index(&self, offset: usize) -> usize {
        self.files.iter().rposition(|f| f.base <= offset).unwrap_or(0)
    }

    /// A byte offset within the file that holds it.
    pub fn byte_in_file(&self, offset: usize) -> usize {
        offset.saturating_sub(self.file(offset).map_or(0, |f| f.base))
    }

    /// The name of the file that holds a byte offset.
    pub fn name_at(&self, offset: usize) -> &str {
        self.file(offset).map_or(self.name.as_str(), |f| f.name.as_str())
    }

    /// `file:line:col` of a byte offset.
    pub fn position(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.name_at(offset))
    }

    /// The text of the line holding a byte offset.
    pub fn line_text(&self, offset: usize) -> &str {
        let (line, _) = self.line_col(offset);
        self.file(offset).and_then(|f| f.text.lines().nth(line - 1)).unwrap_or("")
    }
}

/// Reads a UTF-8 text file; the error is a sentence that names the file.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not valid UTF-8 (first bad byte at offset {}); mpcc sources must be UTF-8 text",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads the files a program `use`s from disk (paths as the compiler resolved them, relative
/// to the working folder like the root file's).
pub struct DiskFiles;

impl mpcc_compiler::Loader for DiskFiles {
    fn load(&self, path: &str) -> Result<String, String> {
        read_text(Path::new(path))
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

    #[test]
    fn offsets_in_used_files_name_their_file() {
        let mut src = Source::new("main.mpc".into(), "use \"m.mpc\";\n".into());
        let c = mpcc_compiler::compile_files(
            "main.mpc",
            &src.text,
            &Files,
            &mpcc_compiler::CompileOptions::default(),
            None,
        );
        src.set_files(&c.sources);
        let base = c.sources.files()[1].base;
        assert_eq!(src.position(base + 3), "m.mpc:2:3");
        assert_eq!(src.line_text(base + 3), "fn f() {}");
        assert_eq!(src.position(2), "main.mpc:1:3");
    }

    struct Files;
    impl mpcc_compiler::Loader for Files {
        fn load(&self, _: &str) -> Result<String, String> {
            Ok("\nfn f() {}".into())
        }
    }
}

//! The `use "file.mpc";` item: the files a program uses, read through a [`Loader`] (this crate
//! does no IO; the binary passes one that reads from disk), parsed, checked to hold only `fn`s
//! and `use`s, and their functions added to the program as if written in place.
//!
//! A used path is relative to the folder of the file that uses it. A file used twice (by any
//! files) is read once; a file that uses itself, directly or through others, is E0121. Each
//! file is added to the compilation's [`Sources`], and its tree's spans are moved into that
//! file's range, so every diagnostic inside it points into it.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::sources::Sources;
use mpcc_grammar::ast::{self, Item};
use mpcc_grammar::Span;
use std::path::{Component, Path, PathBuf};

/// Reads the text of a used file.
pub trait Loader {
    /// The text of `path` (already resolved against the using file's folder), or a sentence
    /// saying why it cannot be read.
    fn load(&self, path: &str) -> Result<String, String>;
}

/// The loader of a compilation that has no files (a source given as text, e.g. by the editor):
/// every `use` is E0120.
pub struct NoFiles;

impl Loader for NoFiles {
    fn load(&self, _path: &str) -> Result<String, String> {
        Err("this source was not read from a file, so there is no folder to find the file in".into())
    }
}

/// What the used files add to a compilation.
#[derive(Default)]
pub(crate) struct Used {
    /// The `fn` items of every used file, spans in the common offset space.
    pub fns: Vec<Item>,
    /// Whether a used file had a syntax error.
    pub syntax_errors: bool,
}

/// Reads every file `root` uses, directly or not, into `sources`, reporting into `diags`.
pub(crate) fn expand(root: &ast::Program, sources: &mut Sources, loader: &dyn Loader, diags: &mut Diagnostics) -> Used {
    let root_name = sources.files().first().map(|f| f.name.clone()).unwrap_or_default();
    let key = normalise(Path::new(&root_name));
    let mut cx = Cx { loader, sources, diags, read: vec![key.clone()], stack: vec![key], used: Used::default() };
    cx.visit(&root_name, &root.items);
    cx.used
}

struct Cx<'a> {
    loader: &'a dyn Loader,
    sources: &'a mut Sources,
    diags: &'a mut Diagnostics,
    /// Every file read so far (the root included), by resolved path.
    read: Vec<String>,
    /// The chain of files being read, root first.
    stack: Vec<String>,
    used: Used,
}

impl Cx<'_> {
    fn visit(&mut self, from: &str, items: &[Item]) {
        for item in items {
            let Item::Use { path, path_span, .. } = item else { continue };
            let key = resolve(from, path);
            if let Some(at) = self.stack.iter().position(|k| *k == key) {
                self.cycle(&key, at, *path_span);
                continue;
            }
            if self.read.contains(&key) {
                continue;
            }
            self.read.push(key.clone());
            let text = match self.loader.load(&key) {
                Ok(text) => text,
                Err(why) => {
                    self.diags.push(
                        Diagnostic::error(Code::E0120, *path_span, "this file cannot be read")
                            .message(format!("cannot read the used file `{key}`"))
                            .note(format!("{why}."))
                            .help("give a path relative to the folder of the file that has the `use`"),
                    );
                    continue;
                }
            };
            let items = self.parse(&key, &text);
            self.stack.push(key.clone());
            self.visit(&key, &items);
            self.stack.pop();
        }
    }

    /// Parses a used file into its own range; keeps its `fn`s, reports anything else.
    fn parse(&mut self, name: &str, text: &str) -> Vec<Item> {
        let base = self.sources.add(name, text);
        let by = u32::try_from(base).unwrap_or(u32::MAX);
        let (mut program, errors) = mpcc_grammar::parse(text);
        program.shift_spans(by);
        for mut e in errors {
            e.shift_span(by);
            self.used.syntax_errors = true;
            self.diags.push(crate::syntax_diagnostic(&e));
        }
        for item in &program.items {
            let what = match item {
                Item::Fn(_) | Item::Use { .. } => continue,
                Item::Parties { span, .. } => Some(("a `parties` declaration", *span)),
                Item::Param { span, .. } => Some(("a `param`", *span)),
                Item::Stmt(s) if matches!(s.kind, ast::StmtKind::Error) => None,
                Item::Stmt(s) => Some(("a statement", s.span)),
            };
            if let Some((what, span)) = what {
                self.diags.push(
                    Diagnostic::error(Code::E0122, span, format!("{what} in a used file"))
                        .message(format!("the used file `{name}` holds more than functions"))
                        .note("A used file holds only `fn`s, `use`s and comments; the program that uses it declares the parties and params and runs the statements.")
                        .help("move this into the program that has the `use`"),
                );
            }
        }
        let items = program.items;
        self.used.fns.extend(items.iter().filter(|i| matches!(i, Item::Fn(_))).cloned());
        items
    }

    fn cycle(&mut self, key: &str, at: usize, span: Span) {
        let chain: Vec<&str> = self.stack.iter().skip(at).map(String::as_str).chain([key]).collect();
        let from = self.stack.last().cloned().unwrap_or_default();
        self.diags.push(
            Diagnostic::error(Code::E0121, span, format!("`{key}` is already being read"))
                .message(format!("`{from}` uses `{key}`, which uses it back"))
                .note(format!("The files use each other in a cycle: {}.", chain.join(" → ")))
                .help("move the functions both files need into a third file that both `use`"),
        );
    }
}

/// The path of `path` used from the file `from`: relative to `from`'s folder, with `.` and
/// `a/..` removed (lexically: no IO), `/` as separator.
pub(crate) fn resolve(from: &str, path: &str) -> String {
    let dir = Path::new(from).parent().unwrap_or(Path::new(""));
    normalise(&dir.join(path))
}

fn normalise(path: &Path) -> String {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::{resolve, Loader};
    use crate::{compile_files, render_sources, CompileOptions, Compiled};
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[test]
    fn paths_are_relative_to_the_using_file() {
        assert_eq!(resolve("main.mpc", "model.mpc"), "model.mpc");
        assert_eq!(resolve("out/main.mpc", "model.mpc"), "out/model.mpc");
        assert_eq!(resolve("out/main.mpc", "./lib/../model.mpc"), "out/model.mpc");
        assert_eq!(resolve("a/b/c.mpc", "../../d.mpc"), "d.mpc");
        assert_eq!(resolve("c.mpc", "../d.mpc"), "../d.mpc");
    }

    /// Files in memory; counts the reads of each.
    struct Files(HashMap<&'static str, &'static str>, RefCell<Vec<String>>);

    impl Loader for Files {
        fn load(&self, path: &str) -> Result<String, String> {
            self.1.borrow_mut().push(path.to_string());
            self.0.get(path).map(|t| t.to_string()).ok_or_else(|| "no such file".to_string())
        }
    }

    fn check(files: &[(&'static str, &'static str)]) -> (Compiled, String, Vec<String>) {
        let files = Files(files.iter().copied().collect(), RefCell::new(Vec::new()));
        let main = files.0.get("dir/main.mpc").copied().unwrap_or_default();
        let c = compile_files("dir/main.mpc", main, &files, &CompileOptions::default(), None);
        let text = render_sources(&c.diagnostics, &c.sources, false);
        let reads = files.1.into_inner();
        (c, text, reads)
    }

    #[test]
    fn used_functions_are_callable_and_a_file_used_twice_is_read_once() {
        let (c, text, reads) = check(&[
            ("dir/main.mpc", "use \"lib/a.mpc\";\nuse \"lib/b.mpc\";\nprint(f(1) + g(2));"),
            ("dir/lib/a.mpc", "use \"c.mpc\";\nfn f(x) { return h(x) + 1; }"),
            ("dir/lib/b.mpc", "use \"c.mpc\";\nfn g(x) { return h(x) * 2; }"),
            ("dir/lib/c.mpc", "// shared\nfn h(x) { return x * 10; }"),
        ]);
        assert!(c.diagnostics.is_empty(), "{text}");
        assert!(c.program.is_some());
        assert_eq!(reads, ["dir/lib/a.mpc", "dir/lib/c.mpc", "dir/lib/b.mpc"]);
    }

    #[test]
    fn a_diagnostic_inside_a_used_file_points_into_it() {
        let (c, text, _) = check(&[
            ("dir/main.mpc", "parties A;\nuse \"model.mpc\";\nlet y = f(private(src=A, load(\"x.npy\")));\nprint(y);"),
            ("dir/model.mpc", "// the model\nfn f(x) {\n    return relu(x) @ zz;\n}"),
        ]);
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert!(codes.contains(&"E0101"), "{text}");
        assert!(text.contains("┌─ dir/model.mpc:3:22"), "{text}");
    }

    #[test]
    fn cycles_unreadable_files_and_statements_in_libraries_are_errors() {
        let (c, text, _) = check(&[
            ("dir/main.mpc", "use \"a.mpc\";\nuse \"gone.mpc\";\nuse \"lib.mpc\";"),
            ("dir/a.mpc", "use \"b.mpc\";"),
            ("dir/b.mpc", "use \"./a.mpc\";"),
            ("dir/lib.mpc", "parties A;\nfn f(x) { return x; }\nprint(1);"),
        ]);
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["E0120", "E0121", "E0122", "E0122"], "{text}");
        assert!(text.contains("dir/a.mpc → dir/b.mpc → dir/a.mpc"), "{text}");
        assert!(c.program.is_none());
    }

    #[test]
    fn a_source_without_a_file_cannot_use() {
        let c = crate::compile("use \"a.mpc\";", &CompileOptions::default());
        assert_eq!(c.diagnostics.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E0120"]);
    }
}

//! The mpcc compiler: source text in, checked IR (or diagnostics) out.
//!
//! Pipeline: `mpcc_grammar::parse` → [`lower`](lower) (name resolution, inlining, shape analysis
//! and the checks, in one walk run to a fixpoint with [`labels::analyse`] over each pass's IR)
//! → [`passes`] (the oblivious rewrite, then `grad`), with [`passes::verify`] (the IR validator
//! and a fresh label analysis) after the lowering and after every pass. Diagnostics carry stable codes ([`Code`]) and render with
//! codespan ([`render`]). This crate does no IO: the binary reads files and prints.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod builtins;
pub mod diag;
pub mod labels;
mod lower;
pub mod passes;
pub mod shapes;
pub mod sources;
pub mod uses;

pub use diag::{Code, Diagnostic, Diagnostics, Severity};
pub use mpcc_grammar::Span;
pub use sources::{SourceFile, Sources};
pub use uses::{Loader, NoFiles};

use mpcc_grammar::{ParseError, ParseErrorKind};

/// Options of one compilation.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// `--set name=value` overrides of `param`s, raw text.
    pub params: Vec<(String, String)>,
}

/// What an identifier names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Var,
    Fn,
    Param,
    Party,
}

/// One use or definition of a name, for hover and go-to-definition.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolInfo {
    pub span: Span,
    /// Where the name is defined (equal to `span` at the definition itself).
    pub def_span: Option<Span>,
    pub name: String,
    pub kind: SymbolKind,
    /// E.g. `private (from ALICE) real [1, ?]`.
    pub info: Option<String>,
}

/// The result of [`compile`].
#[derive(Clone, Debug)]
pub struct Compiled {
    pub ast: Option<mpcc_grammar::ast::Program>,
    /// The checked IR after every pass; `None` if any error was reported.
    pub program: Option<mpcc_ir::Program>,
    /// Errors and warnings, sorted by span.
    pub diagnostics: Vec<Diagnostic>,
    pub symbols: Vec<SymbolInfo>,
    /// The root file and every file it `use`s; spans index [`Sources::text`].
    pub sources: Sources,
}

/// Compiles a source given as text (no file: a `use` in it is E0120).
pub fn compile(src: &str, options: &CompileOptions) -> Compiled {
    compile_until(src, options, None)
}

/// Compiles a source given as text, running the passes up to and including `after` (all if `None`).
pub fn compile_until(src: &str, options: &CompileOptions, after: Option<&str>) -> Compiled {
    compile_files("input.mpc", src, &NoFiles, options, after)
}

/// Compiles the file `name` with text `src`; the files it `use`s are read through `loader`
/// (paths relative to `name`'s folder). Runs the passes up to `after` (all if `None`).
pub fn compile_files(
    name: &str,
    src: &str,
    loader: &dyn Loader,
    options: &CompileOptions,
    after: Option<&str>,
) -> Compiled {
    let (ast, parse_errors) = mpcc_grammar::parse(src);
    let mut diags = Diagnostics::default();
    for e in &parse_errors {
        diags.push(syntax_diagnostic(e));
    }
    let mut sources = Sources::new(name, src);
    let too_deep = parse_errors.iter().any(|e| matches!(e.kind, ParseErrorKind::TooDeep { .. }));
    let mut input = passes::PassInput::default();
    let (program, symbols) = if too_deep {
        (None, Vec::new())
    } else {
        let used = uses::expand(&ast, &mut sources, loader, &mut diags);
        let mut whole = ast.clone();
        whole.items.extend(used.fns);
        let lowered = lower::lower(&sources, &whole, options, &mut diags);
        input.grads = lowered.grads;
        if !parse_errors.is_empty() || used.syntax_errors {
            // A statement the parser skipped may have defined the name: do not guess.
            diags.retain(|d| d.code != Code::E0101);
        }
        (Some((lowered.program, lowered.labels)), lowered.symbols)
    };
    let program = match program {
        Some((p, table))
            if !diags.has_errors() && passes::verify(&p, &table, mpcc_ir::Stage::Lowered, "lowering", &mut diags) =>
        {
            passes::run(p, &input, &mut diags, after)
        }
        _ => None,
    };
    let program = program.filter(|_| !diags.has_errors());
    Compiled { ast: Some(ast), program, diagnostics: diags.finish(), symbols, sources }
}

/// Renders diagnostics of a one-file compilation with codespan; plain text when `!color`.
pub fn render(diags: &[Diagnostic], file_name: &str, src: &str, color: bool) -> String {
    diag::render::render(diags, &Sources::new(file_name, src), color)
}

/// Renders diagnostics against every file of a compilation ([`Compiled::sources`]).
pub fn render_sources(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    diag::render::render(diags, sources, color)
}

/// The long explanation of a code (`mpcc explain E0301`).
pub fn explain(code: &str) -> Option<&'static str> {
    Code::parse(code).map(Code::explanation)
}

pub(crate) fn syntax_diagnostic(e: &ParseError) -> Diagnostic {
    let expected = |list: &[String]| -> String {
        match list {
            [] => String::new(),
            [one] => format!("expected {one}"),
            many => format!("expected one of {}", many.join(", ")),
        }
    };
    match &e.kind {
        ParseErrorKind::InvalidToken => Diagnostic::error(Code::E0001, e.span, "not a token of the language")
            .message("invalid token")
            .help("remove this character, or write the operator you meant"),
        ParseErrorKind::UnterminatedComment => Diagnostic::error(Code::E0002, e.span, "this comment is never closed")
            .message("unterminated block comment")
            .help("close the comment with `*/`"),
        ParseErrorKind::UnterminatedString => Diagnostic::error(Code::E0003, e.span, "this string is never closed")
            .message("unterminated string")
            .help("close the string with `\"`"),
        ParseErrorKind::InvalidNumber => Diagnostic::error(Code::E0004, e.span, "not a valid number")
            .message("invalid number literal")
            .help("write a number such as `1.5` or `1e3`"),
        ParseErrorKind::UnexpectedToken { found, expected: exp } => {
            let mut d = Diagnostic::error(Code::E0005, e.span, expected(exp)).message(format!("unexpected {found}"));
            if exp.iter().any(|x| x.contains(';')) {
                d = d.help("end the statement with `;`");
            }
            if d.label.is_empty() {
                d.label = "unexpected here".into();
            }
            d
        }
        ParseErrorKind::UnexpectedEof { expected: exp } => {
            let label = if exp.is_empty() { "the file ends here".to_string() } else { expected(exp) };
            Diagnostic::error(Code::E0006, e.span, label)
                .message("unexpected end of file")
                .help("complete the statement, or close the open `{`, `(` or `[`")
        }
        ParseErrorKind::TooDeep { limit } => {
            Diagnostic::error(Code::E0007, e.span, format!("nested more than {limit} levels deep"))
                .message("brackets nested too deeply")
                .help("split the expression with `let` bindings")
        }
    }
}
#[cfg(test)]
mod tests;

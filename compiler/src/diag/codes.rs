//! The one table of diagnostic codes: code, kebab name, one-line summary, long explanation.
//!
//! Codes are grouped by phase: E00xx syntax, E01xx names/arity/params/functions, E02xx shapes,
//! E03xx labels and leaks, E04xx oblivious-execution rejections (W04xx: warnings of that phase), E05xx `grad`,
//! E09xx internal errors (the validator after a pass).
//! A code is never reused; E0110 (`unsupported-builtin`) was retired when `conv2d` and the
//! poolings became supported. Each explanation is `explain/<CODE>.md`, loaded with `include_str!`,
//! so a missing file fails the build.

macro_rules! codes {
    ($($code:ident, $name:literal, $summary:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $code,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// `"E0301"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }
            /// The kebab-case name, e.g. `"private-print"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$code => $name,)*
                }
            }
            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$code => $summary,)*
                }
            }
            /// The long explanation (`mpcc explain E0301`): summary, a rejected example, the fix.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$code => include_str!(concat!("explain/", stringify!($code), ".md")),)*
                }
            }
        }
    };
}

codes! {
    E0001, "invalid-token", "text that is no token of the language";
    E0002, "unterminated-comment", "a `/*` comment without `*/`";
    E0003, "unterminated-string", "a string without its closing quote";
    E0004, "invalid-number", "a number literal that does not parse";
    E0005, "unexpected-token", "a token where it cannot stand";
    E0006, "unexpected-eof", "the file ends in the middle of something";
    E0007, "nesting-too-deep", "brackets nested deeper than the parser accepts";
    E0101, "unknown-name", "a name that is not defined";
    E0102, "wrong-arity", "a call with the wrong number of arguments";
    E0103, "bad-keyword", "a keyword argument that is unknown, repeated or missing";
    E0104, "bad-param", "a `param` whose value is not a number, or a bad `--set`";
    E0105, "recursion", "a function that calls itself, directly or not";
    E0106, "misplaced-return", "a `return` that is not the last statement of a function";
    E0107, "no-value", "a value is needed but there is none, or the tuple does not fit";
    E0108, "not-constant", "an argument that must be a compile-time integer is not";
    E0109, "bare-load", "`load` outside `private(src=…)` or `public(…)`";
    E0111, "wrong-kind", "a string, party, function or tuple where a tensor is needed, or the reverse";
    E0112, "loop-control-outside-loop", "`break` or `continue` outside a loop";
    E0113, "duplicate-definition", "a function, party or param defined twice";
    E0114, "too-complex", "an expression nested too deeply for the compiler";
    E0120, "unreadable-use", "a `use` whose file cannot be read";
    E0121, "use-cycle", "files that `use` each other in a cycle";
    E0122, "not-a-library", "a used file that holds more than `fn`s and `use`s";
    E0201, "broadcast-mismatch", "elementwise operands whose shapes do not broadcast";
    E0202, "matmul-mismatch", "`@` operands whose inner dimensions differ";
    E0203, "axis-out-of-range", "an axis that the operand does not have";
    E0204, "reshape-size", "`reshape` to a shape with a different number of elements";
    E0205, "index-out-of-range", "an index or too many indices for the operand's shape";
    E0206, "concat-mismatch", "`cat`/`stack` operands whose shapes do not fit together";
    E0207, "non-scalar-condition", "a public `if` or `while` condition with more than one element";
    E0208, "window-mismatch", "a `conv2d` or pooling whose shapes, stride, padding or window do not fit together";
    E0301, "private-print", "a private value passed to `print` or `save`";
    E0302, "private-loop-bound", "a `for` bound that is private";
    E0303, "private-while-condition", "a `while` condition that is private";
    E0304, "private-index", "an index or slice bound that is private";
    E0305, "private-shape-arg", "a shape, size or count argument that is private";
    E0306, "public-of-private", "`public(e)` of a value that is not public";
    E0307, "share-foreign-value", "`private(src=P, e)` of a value that `P` does not hold";
    E0401, "effect-in-private-branch", "`reveal`, `output`, `print` or `save` under a private condition";
    E0402, "input-in-private-branch", "`load`, `private(…)` or `public(…)` under a private condition";
    E0403, "return-in-private-branch", "`return` under a private condition";
    E0404, "loop-control-in-private-branch", "`break` or `continue` under a private condition";
    E0405, "shape-change-in-private-branch", "a variable whose shape would change under a private condition";
    W0401, "non-boolean-private-condition", "a private `if` condition that may not be 0 or 1";
    E0501, "grad-bad-names", "`grad` whose second argument is not a list of names";
    E0502, "grad-non-scalar-loss", "`grad` of a loss that is not a scalar";
    E0503, "grad-not-differentiable", "the loss depends on a differentiated name through an op with no gradient";
    E0504, "grad-loop-carried", "the gradient would flow through a variable carried around a loop or branch";
    E0505, "grad-unknown-rank", "a differentiated op whose operand rank the compiler does not know";
    W0501, "grad-no-dependence", "a differentiated name that the loss does not depend on";
    E0901, "internal-error", "the compiler's own checks found its output inconsistent (a compiler bug)";
}

impl Code {
    /// Looks a code up by its text, e.g. `"E0301"` (case-insensitive).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(code.explanation().contains(code.as_str()), "{} explanation lacks its code", code.as_str());
        }
        assert_eq!(Code::parse("e0301"), Some(Code::E0301));
        assert_eq!(Code::parse("E9999"), None);
    }
}

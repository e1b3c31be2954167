//! Variable names for the translated program: ONNX names (`/fc1/Gemm`, `fc1.weight`,
//! `onnx::Conv_12`) turned into readable, unique `.mpc` identifiers (`fc1_gemm`, `fc1_weight`,
//! `conv_12`) that clash with no keyword or builtin.

use std::collections::HashSet;

/// Keywords and builtins, which a variable must not shadow.
const RESERVED: &[&str] = &[
    "parties",
    "param",
    "fn",
    "use",
    "let",
    "if",
    "else",
    "for",
    "in",
    "while",
    "return",
    "break",
    "continue",
    "true",
    "false",
    "zeros",
    "ones",
    "eye",
    "rand",
    "randn",
    "one_hot",
    "shape",
    "reshape",
    "transpose",
    "flatten",
    "cat",
    "stack",
    "sum",
    "mean",
    "square",
    "pow",
    "where",
    "sign",
    "abs",
    "relu",
    "max",
    "min",
    "argmax",
    "argmin",
    "exp",
    "log",
    "sqrt",
    "inv_sqrt",
    "reciprocal",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "load",
    "private",
    "public",
    "reveal",
    "output",
    "print",
    "save",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "grad",
    "forward",
];

/// The names given so far.
#[derive(Default)]
pub(crate) struct Names {
    used: HashSet<String>,
}

impl Names {
    /// A new identifier made from `hint`.
    pub fn fresh(&mut self, hint: &str) -> String {
        let base = readable(hint);
        let mut name = base.clone();
        let mut k = 2;
        while self.used.contains(&name) || RESERVED.contains(&name.as_str()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(name.clone());
        name
    }
}

/// `/layer1/conv/Conv_output_0` → `layer1_conv_conv`; `onnx::Conv_12` → `conv_12`.
fn readable(hint: &str) -> String {
    let hint = hint.strip_prefix("onnx::").unwrap_or(hint);
    let hint = hint.strip_suffix("_output_0").unwrap_or(hint);
    let mut out = String::new();
    for c in hint.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    let out = out.strip_prefix("node_").unwrap_or(out);
    match out.chars().next() {
        None => "t".to_string(),
        Some(c) if c.is_ascii_digit() => format!("t_{out}"),
        Some(_) => out.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn names_are_readable_unique_and_never_reserved() {
        let mut n = Names::default();
        assert_eq!(n.fresh("/fc1/Gemm"), "fc1_gemm");
        assert_eq!(n.fresh("/fc1/Gemm_output_0"), "fc1_gemm_2");
        assert_eq!(n.fresh("fc1.weight"), "fc1_weight");
        assert_eq!(n.fresh("onnx::Conv_12"), "conv_12");
        assert_eq!(n.fresh("/Relu"), "relu_2");
        assert_eq!(n.fresh("12"), "t_12");
        assert_eq!(n.fresh("node_linear_1"), "linear_1");
        assert_eq!(n.fresh("::"), "t");
    }
}

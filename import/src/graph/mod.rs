//! Translating an ONNX graph into `.mpc`: one `fn forward(…)` whose statements follow the
//! graph's nodes in order, each commented with the node's name, op type and shapes, and whose
//! weights are the model owner's `private(src=OWNER, load("model.npz:NAME"))`.
//!
//! Values are tracked as [`Val`]s: a tensor the program computes (a variable of known shape up to
//! the batch size), or one known at import time (an initializer or a folded constant, including
//! the `Shape` → `Gather` → `Unsqueeze` → `Concat` chains PyTorch's exporter emits for a dynamic
//! batch size). Known tensors are folded where they are consumed: a `Reshape` target becomes a
//! list literal, a scalar a number, and a weight a `load` of `model.npz` (transposed, scaled or
//! with a BatchNormalization folded in first, as the op needs). The ops themselves are in
//! [`ops`] (dense, elementwise, structural) and [`conv`] (convolution, pooling, padding,
//! BatchNormalization).

mod conv;
mod names;
mod ops;
mod shape;

use crate::proto::onnx::{self, NodeProto};
use crate::{Array, ImportError};
use names::Names;
use shape::{Dim, Shape};
use std::collections::HashMap;

/// The ops `mpcc import` translates (as `op_type` in the default ONNX domain).
pub const SUPPORTED_OPS: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Concat",
    "Constant",
    "Conv",
    "Div",
    "Dropout",
    "Exp",
    "Flatten",
    "Gather",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "LeakyRelu",
    "Log",
    "LogSoftmax",
    "MatMul",
    "MaxPool",
    "Mul",
    "Neg",
    "Pad",
    "Reciprocal",
    "Relu",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Softmax",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
];

/// Who holds what in the imported program.
#[derive(Clone, Debug)]
pub struct Options {
    /// The party that holds the weights (`ALICE`).
    pub owner: String,
    /// The party that holds the input and learns the output (`BOB`).
    pub user: String,
    /// The model's file name, for the comments (`mlp.onnx`).
    pub source_name: String,
}

/// The translation: `model.mpc`, `main.mpc`, and the weights for the owner's `model.npz`
/// (entry name, `f64` array), in the order the program loads them.
#[derive(Clone, Debug)]
pub struct Imported {
    pub model_mpc: String,
    pub main_mpc: String,
    pub weights: Vec<(String, Array)>,
}

/// A value of the graph.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    /// Computed by the program: the variable holding it and its shape.
    Var { name: String, shape: Shape },
    /// Known at import time.
    Const(Array),
    /// A 1-D integer tensor known up to the batch size (from `Shape`).
    Dims(Vec<Dim>),
}

/// The translation state.
pub(crate) struct Tr<'m> {
    vals: HashMap<String, Val>,
    /// How many nodes read each tensor.
    readers: HashMap<String, usize>,
    /// The body of `forward`, one statement (with its comment) per line.
    lines: Vec<String>,
    weights: Vec<(String, Array)>,
    names: Names,
    owner: String,
    opset: i64,
    /// Folding decisions made ahead of the walk (BatchNormalization into a Conv/Gemm, Pad into
    /// a Conv), by node index.
    plan: conv::Plan,
    nodes: &'m [NodeProto],
}

/// Translates an ONNX model's bytes.
pub fn import_onnx(bytes: &[u8], options: &Options) -> Result<Imported, ImportError> {
    let model = crate::proto::decode_model(bytes)?;
    let opset =
        model.opset_import.iter().find(|o| o.domain().is_empty() || o.domain() == "ai.onnx").map_or(1, |o| o.version());
    if opset < 11 {
        return Err(ImportError::Model(format!(
            "the model uses opset {opset}; mpcc imports opset 11 or later (export with `opset_version=17`)"
        )));
    }
    let graph = model.graph.unwrap_or_default();
    let mut tr = Tr {
        vals: HashMap::new(),
        readers: HashMap::new(),
        lines: Vec::new(),
        weights: Vec::new(),
        names: Names::default(),
        owner: options.owner.clone(),
        opset,
        plan: conv::Plan::default(),
        nodes: &graph.node,
    };
    for init in &graph.initializer {
        let a = crate::tensor::to_array(init, &format!("initializer `{}`", init.name()))?;
        tr.vals.insert(init.name().to_string(), Val::Const(a));
    }
    let mut params = Vec::new();
    let inputs: Vec<&onnx::ValueInfoProto> = graph.input.iter().filter(|i| !tr.vals.contains_key(i.name())).collect();
    for input in inputs {
        let shape = input_shape(input)?;
        let name = tr.names.fresh(input.name());
        params.push((name.clone(), input.name().to_string(), shape.clone()));
        tr.vals.insert(input.name().to_string(), Val::Var { name, shape });
    }
    if params.is_empty() {
        return Err(ImportError::Model("the graph has no input that is not an initializer".into()));
    }
    for node in &graph.node {
        for i in node.input.iter().filter(|i| !i.is_empty()) {
            *tr.readers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.output {
        *tr.readers.entry(o.name().to_string()).or_default() += 1;
    }
    tr.plan = conv::plan(&tr)?;
    for (index, node) in graph.node.iter().enumerate() {
        tr.node(index, node)?;
    }
    let mut outputs = Vec::new();
    for o in &graph.output {
        let (var, shape) = tr.var(o.name(), "the graph's output", "Output")?;
        outputs.push((var, o.name().to_string(), shape));
    }
    Ok(Imported {
        model_mpc: tr.model_text(&params, &outputs, options),
        main_mpc: main_text(&params, &outputs, options),
        weights: tr.weights,
    })
}

/// The shape of a graph input: named (symbolic) dimensions are the batch.
fn input_shape(input: &onnx::ValueInfoProto) -> Result<Shape, ImportError> {
    use onnx::type_proto::Value;
    let bad = |why: &str| ImportError::Model(format!("graph input `{}`: {why}", input.name()));
    let Some(Value::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(bad("not a tensor"));
    };
    let float = [onnx::tensor_proto::DataType::Float as i32, onnx::tensor_proto::DataType::Double as i32];
    if !float.contains(&t.elem_type()) {
        return Err(bad("only FLOAT and DOUBLE inputs are supported"));
    }
    let dims = t.shape.as_ref().ok_or_else(|| bad("its shape is not recorded in the model"))?;
    let mut batch = 0;
    let shape: Shape = dims
        .dim
        .iter()
        .map(|d| match d.value {
            Some(onnx::tensor_shape_proto::dimension::Value::DimValue(v)) if v > 0 => Dim::N(v as usize),
            _ => {
                batch += 1;
                Dim::Batch(1)
            }
        })
        .collect();
    if batch > 1 {
        return Err(bad("more than one dynamic dimension (mpcc supports one: the batch size)"));
    }
    Ok(shape)
}

impl Tr<'_> {
    /// The value of a tensor name, or an error naming the node that reads it.
    fn get(&self, name: &str, node: &NodeProto) -> Result<Val, ImportError> {
        self.vals.get(name).cloned().ok_or_else(|| {
            ImportError::Model(format!(
                "node `{}` ({}) reads `{name}`, which no node, input or initializer defines \
                 (is the file truncated or corrupted?)",
                node.name(),
                node.op_type()
            ))
        })
    }

    /// Input `i` of a node (error if missing).
    fn input(&self, node: &NodeProto, i: usize) -> Result<Val, ImportError> {
        match node.input.get(i).filter(|s| !s.is_empty()) {
            Some(name) => self.get(name, node),
            None => Err(ImportError::unsupported(node.name(), node.op_type(), format!("input {i} is missing"))),
        }
    }

    /// Input `i` if the node has it.
    fn opt_input(&self, node: &NodeProto, i: usize) -> Result<Option<Val>, ImportError> {
        match node.input.get(i).filter(|s| !s.is_empty()) {
            Some(name) => self.get(name, node).map(Some),
            None => Ok(None),
        }
    }

    /// Binds output 0 of a node.
    fn set(&mut self, node: &NodeProto, val: Val) {
        if let Some(out) = node.output.first() {
            self.vals.insert(out.clone(), val);
        }
    }

    /// Emits `let v = expr;` for output 0 of a node, commented, and binds it.
    fn emit(&mut self, node: &NodeProto, expr: String, inputs: &[&Shape], shape: Shape) {
        let out = node.output.first().cloned().unwrap_or_default();
        let hint = if node.name().is_empty() { out.clone() } else { node.name().to_string() };
        let name = self.names.fresh(&hint);
        let ins: Vec<String> = inputs.iter().map(|s| shape::text(s)).collect();
        let statement = format!("let {name} = {expr};");
        self.lines.push(format!(
            "    {statement:<60} // {} ({}): {} -> {}",
            if node.name().is_empty() { out.as_str() } else { node.name() },
            node.op_type(),
            ins.join(", "),
            shape::text(&shape)
        ));
        self.vals.insert(out, Val::Var { name, shape });
    }

    /// A computed tensor by name, with its shape (a known tensor becomes a weight).
    fn var(&mut self, name: &str, what: &str, op: &str) -> Result<(String, Shape), ImportError> {
        match self.vals.get(name).cloned() {
            Some(Val::Var { name, shape }) => Ok((name, shape)),
            Some(Val::Const(a)) => {
                let shape = shape::known(a.shape());
                Ok((self.weight(name, a, ""), shape))
            }
            Some(Val::Dims(_)) => Err(ImportError::unsupported(
                name,
                op,
                format!("{what} is a shape, which mpcc computes at compile time"),
            )),
            None => Err(ImportError::Model(format!("{what} `{name}` is not defined by any node"))),
        }
    }

    /// Registers a weight for `model.npz` and emits the `load` that reads it; returns its
    /// variable. `note` says how it differs from the initializer (e.g. "transposed").
    fn weight(&mut self, hint: &str, a: Array, note: &str) -> String {
        let var = self.names.fresh(hint);
        let mut key: String =
            hint.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
        while key.is_empty() || self.weights.iter().any(|(k, _)| *k == key) {
            key.push('_');
        }
        let statement = format!("let {var} = private(src={}, load(\"model.npz:{key}\"));", self.owner);
        let note = if note.is_empty() { String::new() } else { format!(" ({note})") };
        self.lines.push(format!("    {statement:<60} // {}{note}", shape::text(&shape::known(a.shape()))));
        self.weights.push((key, a));
        var
    }

    /// An operand in an expression: a variable, a number for a one-element constant, or a
    /// weight.
    fn operand(&mut self, name: &str, val: Val) -> Result<(String, Shape), ImportError> {
        match val {
            Val::Var { name, shape } => Ok((name, shape)),
            Val::Const(a) if a.len() == 1 => {
                let v = a.iter().next().copied().unwrap_or(0.0);
                Ok((number(v), shape::known(a.shape())))
            }
            Val::Const(a) => {
                let shape = shape::known(a.shape());
                Ok((self.weight(name, a, ""), shape))
            }
            Val::Dims(_) => Err(ImportError::Model(format!("`{name}` is a shape, used as a tensor"))),
        }
    }

    fn node(&mut self, index: usize, node: &NodeProto) -> Result<(), ImportError> {
        if !node.domain().is_empty() && node.domain() != "ai.onnx" {
            return Err(ImportError::unsupported(
                node.name(),
                node.op_type(),
                format!("ops of the domain `{}` are not supported", node.domain()),
            ));
        }
        if self.plan.skip(index) {
            // Folded into a neighbour: a BatchNormalization's output is the Conv/Gemm's before
            // it; a Pad has none (the Conv after it reads the Pad's input).
            if let (Some(out), Some(src)) = (node.output.first(), self.plan.alias(index).filter(|s| !s.is_empty())) {
                let v = self.get(&src, node)?;
                self.vals.insert(out.clone(), v);
            }
            return Ok(());
        }
        match node.op_type() {
            "Conv" | "MaxPool" | "AveragePool" | "GlobalAveragePool" | "BatchNormalization" | "Pad" => {
                conv::node(self, index, node)
            }
            _ => {
                let bn = self.plan.bn(index);
                ops::node(self, node, bn)
            }
        }
    }

    fn model_text(
        &self,
        params: &[(String, String, Shape)],
        outputs: &[(String, String, Shape)],
        o: &Options,
    ) -> String {
        let mut t = String::new();
        t.push_str(&format!(
            "// model.mpc — `{}` translated by `mpcc import` (ONNX opset {}).\n",
            o.source_name, self.opset
        ));
        t.push_str(&format!(
            "// The weights are {}'s, read from {}'s model.npz (f64; BatchNormalization folded into\n\
             // the Conv/Gemm before it). Each statement names the ONNX node it comes from, its op\n\
             // type and its shapes (? is the batch size). Used by main.mpc: `use \"model.mpc\";`.\n\n",
            o.owner, o.owner
        ));
        for (var, onnx, shape) in params {
            t.push_str(&format!("// {var}: ONNX input `{onnx}`, {}\n", shape::text(shape)));
        }
        for (var, onnx, shape) in outputs {
            t.push_str(&format!("// returns {var}: ONNX output `{onnx}`, {}\n", shape::text(shape)));
        }
        let ps: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
        t.push_str(&format!("fn forward({}) {{\n", ps.join(", ")));
        for line in &self.lines {
            t.push_str(line.trim_end());
            t.push('\n');
        }
        let outs: Vec<&str> = outputs.iter().map(|p| p.0.as_str()).collect();
        match outs.as_slice() {
            [one] => t.push_str(&format!("    return {one};\n")),
            many => t.push_str(&format!("    return ({});\n", many.join(", "))),
        }
        t.push_str("}\n");
        t
    }
}

fn main_text(params: &[(String, String, Shape)], outputs: &[(String, String, Shape)], o: &Options) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "// main.mpc — runs `{}` (model.mpc) privately: {} holds the weights (model.npz), {}\n\
         // the input; only {} learns the output, and {} learns nothing.\n\
         //   mpcc run main.mpc --parties 2 --data {}=<{}'s folder> --data {}=<{}'s folder>\n",
        o.source_name, o.owner, o.user, o.user, o.owner, o.owner, o.owner, o.user, o.user
    ));
    if o.owner == o.user {
        t.push_str(&format!("parties {};\n", o.owner));
    } else {
        t.push_str(&format!("parties {}, {};\n", o.owner, o.user));
    }
    t.push_str("use \"model.mpc\";\n\n");
    let many_in = params.len() > 1;
    for (var, onnx, shape) in params {
        let file = if many_in { format!("input_{var}.npy") } else { "input.npy".into() };
        let statement = format!("let {var} = private(src={}, load(\"{file}\"));", o.user);
        t.push_str(&format!("{statement:<56} // {}, ONNX input `{onnx}`\n", shape::text(shape)));
    }
    let args: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
    let outs: Vec<String> = outputs.iter().map(|p| format!("{}_out", p.0)).collect();
    match outs.as_slice() {
        [one] => t.push_str(&format!("let {one} = forward({});\n", args.join(", "))),
        many => t.push_str(&format!("let ({}) = forward({});\n", many.join(", "), args.join(", "))),
    }
    for (k, ((_, onnx, shape), var)) in outputs.iter().zip(&outs).enumerate() {
        let file = if outputs.len() > 1 { format!("output_{k}.npy") } else { "output.npy".into() };
        let statement = format!("output({var}, to={}, file=\"{file}\");", o.user);
        t.push_str(&format!("{statement:<56} // {}, ONNX output `{onnx}`\n", shape::text(shape)));
    }
    t
}

/// A number as `.mpc` source: shortest round-trip form, negative ones in parentheses.
pub(crate) fn number(v: f64) -> String {
    let s = format!("{v:?}");
    if v < 0.0 {
        format!("({s})")
    } else {
        s
    }
}

#[cfg(test)]
mod tests;

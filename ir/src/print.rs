//! The stable text form of the IR (`mpcc compile --emit ir`).
//!
//! One value per line, `%N = op operands : label dtype shape`, numbered densely in the order
//! the statements compute them; variables print as `$name.N`, numbered by first appearance.
//! Spans are printed only when asked. Nothing here depends on the arena's internal numbering.

use crate::*;
use std::collections::HashMap;
use std::fmt::Write;

struct Printer<'a> {
    program: &'a Program,
    values: HashMap<ValueId, usize>,
    vars: HashMap<VarId, usize>,
    out: String,
    spans: bool,
}

/// Prints `program`; with `spans`, each line ends with the byte range of its source.
pub fn print_program(program: &Program, spans: bool) -> String {
    let mut p = Printer { program, values: HashMap::new(), vars: HashMap::new(), out: String::new(), spans };
    let _ = writeln!(p.out, "parties {}", program.parties.join(", "));
    for (name, value) in &program.params {
        let _ = writeln!(p.out, "param {name} = {value}");
    }
    p.block(&program.body, 0);
    p.out
}

impl Printer<'_> {
    fn v(&mut self, id: ValueId) -> String {
        match self.values.get(&id) {
            Some(n) => format!("%{n}"),
            None => format!("%?{}", id.0),
        }
    }
    fn var(&mut self, id: VarId) -> String {
        let next = self.vars.len();
        let n = *self.vars.entry(id).or_insert(next);
        let name = self.program.var(id).map(|v| v.name.as_str()).unwrap_or("?");
        format!("${name}.{n}")
    }
    fn party(&self, p: PartyId) -> String {
        self.program.party_name(p)
    }
    fn line(&mut self, depth: usize, text: &str, span: Option<Span>) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        if let (true, Some(s)) = (self.spans, span) {
            let _ = write!(self.out, "  @{}..{}", s.start, s.end);
        }
        self.out.push('\n');
    }

    fn block(&mut self, block: &Block, depth: usize) {
        for stmt in &block.0 {
            self.stmt(stmt, depth);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, depth: usize) {
        match stmt {
            Stmt::Eval(id) => {
                let next = self.values.len();
                self.values.insert(*id, next);
                let Some(def) = self.program.value(*id) else {
                    self.line(depth, &format!("%{next} = <missing value {}>", id.0), None);
                    return;
                };
                let op = self.op(&def.op);
                let info = info_text(self.program, &def.info);
                self.line(depth, &format!("%{next} = {op} : {info}"), Some(def.span));
            }
            Stmt::Assign { var, value } => {
                let (var, value) = (self.var(*var), self.v(*value));
                self.line(depth, &format!("{var} = {value}"), None);
            }
            Stmt::If { cond, then_block, else_block, span } => {
                let c = self.v(*cond);
                self.line(depth, &format!("if {c} {{"), Some(*span));
                self.block(then_block, depth + 1);
                if !else_block.0.is_empty() {
                    self.line(depth, "} else {", None);
                    self.block(else_block, depth + 1);
                }
                self.line(depth, "}", None);
            }
            Stmt::For { var, start, end, body, span } => {
                let (var, s, e) = (self.var(*var), self.v(*start), self.v(*end));
                self.line(depth, &format!("for {var} in {s}..{e} {{"), Some(*span));
                self.block(body, depth + 1);
                self.line(depth, "}", None);
            }
            Stmt::While { cond_block, cond, body, span } => {
                self.line(depth, "while {", Some(*span));
                self.block(cond_block, depth + 1);
                let c = self.v(*cond);
                self.line(depth, &format!("}} test {c} {{"), None);
                self.block(body, depth + 1);
                self.line(depth, "}", None);
            }
            Stmt::Break { span } => self.line(depth, "break", Some(*span)),
            Stmt::Continue { span } => self.line(depth, "continue", Some(*span)),
            Stmt::Print { args, span } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        PrintArg::Str(s) => format!("{s:?}"),
                        PrintArg::Value(v) => self.v(*v),
                    })
                    .collect();
                self.line(depth, &format!("print {}", args.join(", ")), Some(*span));
            }
            Stmt::Save { path, value, span } => {
                let v = self.v(*value);
                self.line(depth, &format!("save {path:?}, {v}"), Some(*span));
            }
            Stmt::Output { value, to, path, span } => {
                let v = self.v(*value);
                let to = self.party(*to);
                let file = path.as_ref().map(|p| format!(" file={p:?}")).unwrap_or_default();
                self.line(depth, &format!("output {v} to={to}{file}"), Some(*span));
            }
        }
    }

    fn list(&mut self, ids: &[ValueId]) -> String {
        ids.iter().map(|id| self.v(*id)).collect::<Vec<_>>().join(", ")
    }

    fn op(&mut self, op: &Op) -> String {
        let name = op.name();
        match op {
            Op::Const(t) => format!("{name} {}", tensor_text(t)),
            Op::Var(var) => format!("{name} {}", self.var(*var)),
            Op::Load { path, at: Some(p) } => format!("{name} {path:?} at={}", self.party(*p)),
            Op::Load { path, at: None } => format!("{name} {path:?}"),
            Op::Share { src, value } => format!("{name} {} src={}", self.v(*value), self.party(*src)),
            Op::Reveal(x) | Op::Unary(_, x) | Op::Shape(x) | Op::Transpose(x) => format!("{name} {}", self.v(*x)),
            Op::Binary(_, a, b) | Op::MatMul(a, b) => format!("{name} {}, {}", self.v(*a), self.v(*b)),
            Op::Pow(x, k) => format!("{name} {}, {k}", self.v(*x)),
            Op::Where(c, a, b) => format!("{name} {}, {}, {}", self.v(*c), self.v(*a), self.v(*b)),
            Op::Reduce { x, axis, .. } => format!("{name} {}{}", self.v(*x), axis_text(*axis)),
            Op::Arg { x, axis, one_hot, .. } => {
                let oh = if *one_hot { " one_hot" } else { "" };
                format!("{name} {}{}{oh}", self.v(*x), axis_text(*axis))
            }
            Op::Softmax { x, axis } | Op::LogSoftmax { x, axis } => format!("{name} {} axis={axis}", self.v(*x)),
            Op::CrossEntropy { logits: a, targets: b }
            | Op::OneHot { labels: a, classes: b }
            | Op::Reshape { x: a, shape: b }
            | Op::SumTo { x: a, shape: b } => format!("{name} {}, {}", self.v(*a), self.v(*b)),
            Op::Zeros { shape } | Op::Ones { shape } => format!("{name} {}", self.v(*shape)),
            Op::Eye { n } => format!("{name} {}", self.v(*n)),
            Op::Rand { shape, seed } | Op::Randn { shape, seed } => format!("{name} {} seed={seed}", self.v(*shape)),
            Op::Flatten { x, start: 0 } => format!("{name} {}", self.v(*x)),
            Op::Flatten { x, start } => format!("{name} {} start={start}", self.v(*x)),
            Op::Conv2d { x, w, win } => format!("{name} {}, {}{}", self.v(*x), self.v(*w), window_text(None, win)),
            Op::Conv2dGradX { dy: a, w: b, x_shape: c, win } | Op::Conv2dGradW { x: a, dy: b, w_shape: c, win } => {
                format!("{name} {}, {}, {}{}", self.v(*a), self.v(*b), self.v(*c), window_text(None, win))
            }
            Op::Pool2d { x, k, win, .. } => format!("{name} {}{}", self.v(*x), window_text(Some(k), win)),
            Op::Pool2dGrad { x, dy, k, win, .. } => {
                format!("{name} {}, {}{}", self.v(*x), self.v(*dy), window_text(Some(k), win))
            }
            Op::Cat { xs, axis } | Op::Stack { xs, axis } => format!("{name} [{}] axis={axis}", self.list(xs)),
            Op::Index { x, items } => {
                let items: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        IndexItem::At(i) => self.v(*i),
                        IndexItem::Slice { start, end } => {
                            let s = start.map(|v| self.v(v)).unwrap_or_default();
                            let e = end.map(|v| self.v(v)).unwrap_or_default();
                            format!("{s}:{e}")
                        }
                    })
                    .collect();
                format!("{name} {}[{}]", self.v(*x), items.join(", "))
            }
        }
    }
}

/// `max_pool2d` or `avg_pool2d`.
pub fn pool_name(op: PoolOp) -> &'static str {
    match op {
        PoolOp::Max => "max_pool2d",
        PoolOp::Avg => "avg_pool2d",
    }
}

/// ` k=[2, 2] stride=[1, 1] padding=[0, 0]`.
fn window_text(k: Option<&[u32; 2]>, win: &Window2d) -> String {
    let k = k.map(|k| format!(" k={k:?}")).unwrap_or_default();
    format!("{k} stride={:?} padding={:?}", win.stride, win.padding)
}

fn axis_text(axis: Option<i64>) -> String {
    axis.map(|a| format!(" axis={a}")).unwrap_or_default()
}

/// The surface name of a binary op, as the text IR prints it.
pub fn binary_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
        BinaryOp::Lt => "lt",
        BinaryOp::Le => "le",
        BinaryOp::Gt => "gt",
        BinaryOp::Ge => "ge",
        BinaryOp::Eq => "eq",
        BinaryOp::Ne => "ne",
        BinaryOp::Maximum => "maximum",
        BinaryOp::Minimum => "minimum",
    }
}

/// The surface name of a unary op.
pub fn unary_name(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "neg",
        UnaryOp::Square => "square",
        UnaryOp::Sign => "sign",
        UnaryOp::Abs => "abs",
        UnaryOp::Relu => "relu",
        UnaryOp::Exp => "exp",
        UnaryOp::Log => "log",
        UnaryOp::Sqrt => "sqrt",
        UnaryOp::InvSqrt => "inv_sqrt",
        UnaryOp::Reciprocal => "reciprocal",
        UnaryOp::Sigmoid => "sigmoid",
        UnaryOp::Tanh => "tanh",
    }
}

fn tensor_text(t: &Tensor) -> String {
    const MAX: usize = 8;
    if t.shape.is_empty() {
        return t.data.first().map(|x| format!("{x}")).unwrap_or_default();
    }
    let shown: Vec<String> = t.data.iter().take(MAX).map(|x| format!("{x}")).collect();
    let more = if t.data.len() > MAX { ", …" } else { "" };
    let dims: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
    format!("[{}{more}] shape=[{}]", shown.join(", "), dims.join(", "))
}

/// `label dtype shape`, e.g. `private real [1, ?]`.
pub fn info_text(program: &Program, info: &ValueInfo) -> String {
    let label = match info.label {
        Label::Public => "public".to_string(),
        Label::Private => "private".to_string(),
        Label::Local(p) => format!("local({})", program.party_name(p)),
    };
    let dtype = match info.dtype {
        DType::Real => "real",
        DType::Bool => "bool",
        DType::Int => "int",
    };
    format!("{label} {dtype} {}", shape_text(&info.shape))
}

/// `[2, ?]`, `[]` for a scalar, `?` when the rank is unknown.
pub fn shape_text(shape: &Shape) -> String {
    match shape {
        Shape::Unknown => "?".to_string(),
        Shape::Ranked(dims) => {
            let dims: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Dim::Known(n) => n.to_string(),
                    Dim::Unknown => "?".to_string(),
                })
                .collect();
            format!("[{}]", dims.join(", "))
        }
    }
}

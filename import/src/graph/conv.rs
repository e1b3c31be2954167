//! Convolution, pooling, padding and BatchNormalization, onto mpcc's `conv2d`, `max_pool2d` and
//! `avg_pool2d` (NCHW, PyTorch's semantics). PyTorch's exporter writes the attributes in full
//! (`kernel_shape`, `strides`, `pads` as `[top, left, bottom, right]`, `dilations`, `group`);
//! anything mpcc cannot express (dilation, groups, asymmetric padding, `ceil_mode`, padding not
//! counted in an average) is an error naming the node.
//!
//! The [`Plan`] is made before the walk: a BatchNormalization whose input is a Conv or Gemm read by
//! nothing else is folded into that node's weight and bias (`w·s`, `(b − mean)·s + beta`, with
//! `s = gamma / sqrt(var + eps)`), and a zero Pad of the spatial axes read only by a Conv becomes
//! the Conv's padding. Any other zero Pad is a `cat` of zero blocks along each padded axis.

use super::ops::{attr_f, attr_i, attr_ints, ints, unsupported};
use super::shape::{self, Dim, Shape};
use super::{Tr, Val};
use crate::proto::onnx::NodeProto;
use crate::{Array, ImportError};
use ndarray::{Axis, IxDyn};
use std::collections::HashMap;

/// Folding decisions, by node index.
#[derive(Default)]
pub(crate) struct Plan {
    /// Nodes folded into another: the tensor their output is an alias of.
    skipped: HashMap<usize, String>,
    /// Conv/Gemm nodes with a BatchNormalization folded in: (scale, shift) per output channel.
    bn: HashMap<usize, (Vec<f64>, Vec<f64>)>,
    /// Conv nodes with a Pad folded in: the Pad's input and its (top, left) padding.
    pad: HashMap<usize, (String, [usize; 2])>,
}

impl Plan {
    pub fn skip(&self, index: usize) -> bool {
        self.skipped.contains_key(&index)
    }
    pub fn bn(&self, index: usize) -> Option<(Vec<f64>, Vec<f64>)> {
        self.bn.get(&index).cloned()
    }
    pub fn alias(&self, index: usize) -> Option<String> {
        self.skipped.get(&index).cloned()
    }
}

/// The index of the node that writes `tensor`.
fn producer(nodes: &[NodeProto], tensor: &str) -> Option<usize> {
    nodes.iter().position(|n| n.output.iter().any(|o| o == tensor))
}

fn known(tr: &Tr<'_>, name: Option<&String>) -> Option<Array> {
    match tr.vals.get(name?.as_str()) {
        Some(Val::Const(a)) => Some(a.clone()),
        _ => None,
    }
}

pub(crate) fn plan(tr: &Tr<'_>) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    for (i, node) in tr.nodes.iter().enumerate() {
        let Some(x) = node.input.first() else { continue };
        let read_once = tr.readers.get(x) == Some(&1);
        let Some(p) = producer(tr.nodes, x) else { continue };
        let prev = tr.nodes.get(p);
        let prev_op = prev.map(|n| n.op_type()).unwrap_or_default();
        if node.op_type() == "BatchNormalization" && read_once && (prev_op == "Conv" || prev_op == "Gemm") {
            let params: Vec<Option<Array>> = (1..5).map(|k| known(tr, node.input.get(k))).collect();
            if let [Some(gamma), Some(beta), Some(mean), Some(var)] = params.as_slice() {
                let eps = attr_f(node, "epsilon", 1e-5);
                let scale: Vec<f64> = gamma.iter().zip(var.iter()).map(|(g, v)| g / (v + eps).sqrt()).collect();
                let shift: Vec<f64> = beta.iter().zip(mean.iter()).zip(&scale).map(|((b, m), s)| b - m * s).collect();
                plan.bn.insert(p, (scale, shift));
                plan.skipped.insert(i, x.clone());
            }
        }
        if node.op_type() == "Conv" && read_once && prev_op == "Pad" {
            if let Some(pad_node) = prev {
                if let Some(pads) = foldable_pad(tr, pad_node)? {
                    let src = pad_node.input.first().cloned().unwrap_or_default();
                    plan.pad.insert(i, (src, pads));
                    plan.skipped.insert(p, String::new());
                }
            }
        }
    }
    Ok(plan)
}

/// The (top, left) padding of a zero Pad of only the last two axes, symmetric; `None` if not.
fn foldable_pad(tr: &Tr<'_>, node: &NodeProto) -> Result<Option<[usize; 2]>, ImportError> {
    let Some(p) = pads_of(tr, node)? else { return Ok(None) };
    let (mode, value) = pad_mode(tr, node);
    Ok(match p.as_slice() {
        [0, 0, t, l, 0, 0, b, r] if mode == "constant" && value == 0.0 && t == b && l == r && *t >= 0 && *l >= 0 => {
            Some([*t as usize, *l as usize])
        }
        _ => None,
    })
}

fn pads_of(tr: &Tr<'_>, node: &NodeProto) -> Result<Option<Vec<i64>>, ImportError> {
    if let Some(p) = attr_ints(node, "pads") {
        return Ok(Some(p));
    }
    match node.input.get(1).and_then(|n| tr.vals.get(n)) {
        Some(v) => ints(v, node, "the pads").map(Some),
        None => Ok(None),
    }
}

fn pad_mode(tr: &Tr<'_>, node: &NodeProto) -> (String, f64) {
    let mode =
        super::ops::attr(node, "mode").and_then(|a| a.s.clone()).map(|s| String::from_utf8_lossy(&s).into_owned());
    let value = known(tr, node.input.get(2)).and_then(|a| a.iter().next().copied()).unwrap_or(0.0);
    (mode.unwrap_or_else(|| "constant".into()), value)
}

pub(crate) fn node(tr: &mut Tr<'_>, index: usize, node: &NodeProto) -> Result<(), ImportError> {
    match node.op_type() {
        "Conv" => conv(tr, index, node),
        "MaxPool" | "AveragePool" => pool(tr, node),
        "GlobalAveragePool" => {
            let (x, s) = spatial_input(tr, node)?;
            let (h, w) = match s.as_slice() {
                [_, _, Dim::N(h), Dim::N(w)] => (*h, *w),
                _ => return Err(unsupported(node, "the spatial size must be known")),
            };
            let out: Shape = s.iter().take(2).copied().chain([Dim::N(1), Dim::N(1)]).collect();
            tr.emit(node, format!("avg_pool2d({x}, [{h}, {w}])"), &[&s], out);
            Ok(())
        }
        "BatchNormalization" => batch_norm(tr, index, node),
        "Pad" => pad(tr, node),
        _ => Err(unsupported(node, "not a convolution or pooling op")),
    }
}

/// A zero Pad not folded into a Conv: along each padded axis, `cat` of zero blocks (a slice of
/// the tensor times 0, so that they share its batch size) around the tensor.
fn pad(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let (mode, value) = pad_mode(tr, node);
    if mode != "constant" || value != 0.0 {
        return Err(unsupported(node, format!("mode `{mode}` with value {value} (only zero padding is supported)")));
    }
    let Val::Var { name, shape: s } = tr.input(node, 0)? else {
        return Err(unsupported(node, "padding a known tensor"));
    };
    let pads = pads_of(tr, node)?.ok_or_else(|| unsupported(node, "no pads"))?;
    let rank = s.len();
    if pads.len() != 2 * rank {
        return Err(unsupported(node, format!("{} pads for a tensor of rank {rank}", pads.len())));
    }
    if node.input.get(3).is_some_and(|a| !a.is_empty()) {
        return Err(unsupported(node, "the `axes` input (opset 18)"));
    }
    let mut x = name;
    let mut shape = s.clone();
    let mut steps = Vec::new();
    for axis in 0..rank {
        let (before, after) = (pads.get(axis).copied().unwrap_or(0), pads.get(axis + rank).copied().unwrap_or(0));
        if before == 0 && after == 0 {
            continue;
        }
        let n = match shape.get(axis) {
            Some(Dim::N(n)) if before >= 0 && after >= 0 && before as usize <= *n && after as usize <= *n => *n,
            _ => {
                return Err(unsupported(
                    node,
                    format!(
                    "pads {pads:?}: only non-negative padding, at most the axis' size, of an axis other than the batch"
                ),
                ))
            }
        };
        let block = |p: i64| format!("{x}[{}0:{p}] * 0", ":, ".repeat(axis));
        let mut parts = Vec::new();
        if before > 0 {
            parts.push(block(before));
        }
        parts.push(x.clone());
        if after > 0 {
            parts.push(block(after));
        }
        steps.push(format!("cat([{}], {axis})", parts.join(", ")));
        if let Some(d) = shape.get_mut(axis) {
            *d = Dim::N(n + before as usize + after as usize);
        }
        // The next axis pads this result: bind it.
        let tmp = tr.names.fresh(&format!("{}_axis{axis}", node.name()));
        let statement = format!("let {tmp} = {};", steps.last().cloned().unwrap_or_default());
        tr.lines.push(format!("    {statement:<60} // {} (Pad): zeros along axis {axis}", node.name()));
        x = tmp;
    }
    tr.emit(node, x, &[&s], shape);
    Ok(())
}

/// A computed `[n, c, h, w]` input.
fn spatial_input(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(String, Shape), ImportError> {
    match tr.input(node, 0)? {
        Val::Var { name, shape } if shape.len() == 4 => Ok((name, shape)),
        Val::Var { shape, .. } => {
            Err(unsupported(node, format!("the input must be [n, c, h, w], not {}", shape::text(&shape))))
        }
        _ => Err(unsupported(node, "the input must be computed (a known input would be folded)")),
    }
}

/// A 2-D window's kernel, strides and (symmetric) padding, each `[h, w]`.
type Window = ([usize; 2], [usize; 2], [usize; 2]);

/// Checks the window attributes shared by Conv and the poolings.
fn window(node: &NodeProto, kernel: Option<[usize; 2]>) -> Result<Window, ImportError> {
    let two = |name: &str, v: Vec<i64>| -> Result<[usize; 2], ImportError> {
        match v.as_slice() {
            [a, b] if *a >= 0 && *b >= 0 => Ok([*a as usize, *b as usize]),
            _ => Err(unsupported(node, format!("`{name}` {v:?}: only 2-D windows are supported"))),
        }
    };
    let auto_pad =
        super::ops::attr(node, "auto_pad").and_then(|a| a.s.clone()).map(|s| String::from_utf8_lossy(&s).into_owned());
    if !matches!(auto_pad.as_deref(), None | Some("NOTSET") | Some("VALID")) {
        return Err(unsupported(
            node,
            format!("auto_pad {} (write the pads explicitly)", auto_pad.unwrap_or_default()),
        ));
    }
    let k = match (attr_ints(node, "kernel_shape"), kernel) {
        (Some(k), _) => two("kernel_shape", k)?,
        (None, Some(k)) => k,
        (None, None) => return Err(unsupported(node, "no kernel_shape")),
    };
    let strides = two("strides", attr_ints(node, "strides").unwrap_or(vec![1, 1]))?;
    if let Some(d) = attr_ints(node, "dilations") {
        if d.iter().any(|&x| x != 1) {
            return Err(unsupported(node, format!("dilations {d:?} (only 1 is supported)")));
        }
    }
    if attr_i(node, "ceil_mode", 0) != 0 {
        return Err(unsupported(node, "ceil_mode=1 (only floor, PyTorch's default, is supported)"));
    }
    let pads = attr_ints(node, "pads").unwrap_or(vec![0, 0, 0, 0]);
    let pad = match pads.as_slice() {
        [t, l, b, r] if t == b && l == r && *t >= 0 && *l >= 0 => [*t as usize, *l as usize],
        _ => return Err(unsupported(node, format!("pads {pads:?} (only symmetric padding is supported)"))),
    };
    Ok((k, strides, pad))
}

/// `stride=2` or `stride=[2, 1]`.
fn pair(v: [usize; 2]) -> String {
    if v[0] == v[1] {
        v[0].to_string()
    } else {
        format!("[{}, {}]", v[0], v[1])
    }
}

fn out_dim(d: Dim, k: usize, s: usize, p: usize) -> Result<Dim, String> {
    match d {
        Dim::N(n) if n.saturating_add(p.saturating_mul(2)) >= k && s > 0 => {
            Ok(Dim::N((n.saturating_add(p.saturating_mul(2)) - k) / s + 1))
        }
        _ => Err(format!("a window of {k} does not fit a dimension of {d} (padding {p})")),
    }
}

fn conv(tr: &mut Tr<'_>, index: usize, node: &NodeProto) -> Result<(), ImportError> {
    if attr_i(node, "group", 1) != 1 {
        return Err(unsupported(
            node,
            format!("group={} (grouped and depthwise convolutions are not supported)", attr_i(node, "group", 1)),
        ));
    }
    let (x, s) = match tr.plan.pad.get(&index).cloned() {
        Some((src, _)) => match tr.get(&src, node)? {
            Val::Var { name, shape } if shape.len() == 4 => (name, shape),
            _ => return Err(unsupported(node, "the padded input must be a computed [n, c, h, w] tensor")),
        },
        None => spatial_input(tr, node)?,
    };
    let w_name = node.input.get(1).cloned().unwrap_or_default();
    let Val::Const(mut w) = tr.input(node, 1)? else {
        return Err(unsupported(node, "the weight must be an initializer (known at import)"));
    };
    if w.ndim() != 4 {
        return Err(unsupported(node, format!("a weight of rank {} (only 2-D convolutions are supported)", w.ndim())));
    }
    let kernel = [w.shape().get(2).copied().unwrap_or(0), w.shape().get(3).copied().unwrap_or(0)];
    let (k, stride, mut pad) = window(node, Some(kernel))?;
    if k != kernel {
        return Err(unsupported(node, "kernel_shape differs from the weight's"));
    }
    if let Some((_, extra)) = tr.plan.pad.get(&index) {
        pad = [pad[0].saturating_add(extra[0]), pad[1].saturating_add(extra[1])];
    }
    let o = w.shape().first().copied().unwrap_or(0);
    let mut bias = match tr.opt_input(node, 2)? {
        Some(Val::Const(b)) => Some(b),
        None => None,
        Some(_) => return Err(unsupported(node, "the bias must be an initializer")),
    };
    let mut note = String::new();
    if let Some((scale, shift)) = tr.plan.bn.get(&index).cloned() {
        for (mut slice, sc) in w.axis_iter_mut(Axis(0)).zip(&scale) {
            slice.mapv_inplace(|v| v * sc);
        }
        let b0 = bias.take().map(|b| b.iter().copied().collect::<Vec<_>>()).unwrap_or(vec![0.0; o]);
        let b: Vec<f64> = b0.iter().zip(&scale).zip(&shift).map(|((b, s), t)| b * s + t).collect();
        bias = Some(Array::from_shape_vec(IxDyn(&[o]), b).map_err(|e| unsupported(node, e.to_string()))?);
        note = "BatchNormalization folded in".into();
    }
    let out = match s.as_slice() {
        [n, _, h, wd] => vec![
            *n,
            Dim::N(o),
            out_dim(*h, k[0], stride[0], pad[0]).map_err(|e| unsupported(node, e))?,
            out_dim(*wd, k[1], stride[1], pad[1]).map_err(|e| unsupported(node, e))?,
        ],
        _ => return Err(unsupported(node, "the input must be [n, c, h, w]")),
    };
    let wv = tr.weight(&w_name, w, &note);
    let mut expr = format!("conv2d({x}, {wv}");
    if stride != [1, 1] {
        expr.push_str(&format!(", stride={}", pair(stride)));
    }
    if pad != [0, 0] {
        expr.push_str(&format!(", padding={}", pair(pad)));
    }
    if let Some(b) = bias {
        let b_name = node.input.get(2).cloned().unwrap_or_else(|| format!("{w_name}.bias"));
        let bv = tr.weight(&b_name, b, &note);
        expr.push_str(&format!(", bias={bv}"));
    }
    expr.push(')');
    tr.emit(node, expr, &[&s], out);
    Ok(())
}

fn pool(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let (x, s) = spatial_input(tr, node)?;
    if node.output.len() > 1 && node.output.get(1).is_some_and(|o| !o.is_empty()) {
        return Err(unsupported(node, "the Indices output of MaxPool is not supported"));
    }
    if attr_i(node, "storage_order", 0) != 0 {
        return Err(unsupported(node, "storage_order=1"));
    }
    let (k, stride, pad) = window(node, None)?;
    let max = node.op_type() == "MaxPool";
    if !max && pad != [0, 0] && attr_i(node, "count_include_pad", 0) == 0 {
        return Err(unsupported(
            node,
            "padding left out of the average (count_include_pad=0); mpcc's avg_pool2d counts it (PyTorch's default)",
        ));
    }
    let out = match s.as_slice() {
        [n, c, h, w] => vec![
            *n,
            *c,
            out_dim(*h, k[0], stride[0], pad[0]).map_err(|e| unsupported(node, e))?,
            out_dim(*w, k[1], stride[1], pad[1]).map_err(|e| unsupported(node, e))?,
        ],
        _ => return Err(unsupported(node, "the input must be [n, c, h, w]")),
    };
    let f = if max { "max_pool2d" } else { "avg_pool2d" };
    let mut expr = format!("{f}({x}, {}, stride={}", pair(k), pair(stride));
    if pad != [0, 0] {
        expr.push_str(&format!(", padding={}", pair(pad)));
    }
    expr.push(')');
    tr.emit(node, expr, &[&s], out);
    Ok(())
}

/// A BatchNormalization not folded into a Conv/Gemm: `x · scale + shift` per channel (axis 1).
fn batch_norm(tr: &mut Tr<'_>, _index: usize, node: &NodeProto) -> Result<(), ImportError> {
    if attr_i(node, "training_mode", 0) != 0 || node.output.len() > 1 {
        return Err(unsupported(node, "training mode (export the model in eval mode: `model.eval()`)"));
    }
    let params: Vec<Option<Array>> = (1..5).map(|k| known(tr, node.input.get(k))).collect();
    let [Some(gamma), Some(beta), Some(mean), Some(var)] = params.as_slice() else {
        return Err(unsupported(node, "scale, bias, mean and variance must be initializers"));
    };
    let eps = attr_f(node, "epsilon", 1e-5);
    let scale: Vec<f64> = gamma.iter().zip(var.iter()).map(|(g, v)| g / (v + eps).sqrt()).collect();
    let shift: Vec<f64> = beta.iter().zip(mean.iter()).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    let input = node.input.first().cloned().unwrap_or_default();
    let v = tr.input(node, 0)?;
    let (x, s) = tr.operand(&input, v)?;
    let c = scale.len();
    // Channels on axis 1: [c] for [n, c], [c, 1, 1] for [n, c, h, w].
    let dims: Vec<usize> = std::iter::once(c).chain(std::iter::repeat_n(1, s.len().saturating_sub(2))).collect();
    let as_array = |v: Vec<f64>| Array::from_shape_vec(IxDyn(&dims), v).map_err(|e| unsupported(node, e.to_string()));
    // `bn2.weight` → `bn2.scale`, `bn2.shift`.
    let gamma = node.input.get(1).cloned().unwrap_or_default();
    let base = gamma.strip_suffix(".weight").map(str::to_string).unwrap_or_else(|| format!("{}_bn", node.name()));
    let sv = tr.weight(&format!("{base}.scale"), as_array(scale)?, "gamma / sqrt(var + eps)");
    let tv = tr.weight(&format!("{base}.shift"), as_array(shift)?, "beta - mean * scale");
    tr.emit(node, format!("{x} * {sv} + {tv}"), &[&s], s.clone());
    Ok(())
}

//! The dense, elementwise and structural ops: Gemm, MatMul, arithmetic, activations, softmax,
//! and the shape ops (Reshape, Flatten, Transpose, Concat, Squeeze, Unsqueeze), folded at import
//! time when their inputs are known (Constant, Shape, Gather, Cast, Identity, Dropout).

use super::shape::{self, Dim, Shape, Target};
use super::{number, Tr, Val};
use crate::proto::onnx::{self, NodeProto};
use crate::{Array, ImportError};
use ndarray::{Axis, IxDyn};

pub(super) fn attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n onnx::AttributeProto> {
    node.attribute.iter().find(|a| a.name() == name)
}

pub(super) fn attr_i(node: &NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i())
}

pub(super) fn attr_f(node: &NodeProto, name: &str, default: f64) -> f64 {
    attr(node, name).map_or(default, |a| f64::from(a.f()))
}

pub(super) fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

pub(super) fn unsupported(node: &NodeProto, reason: impl Into<String>) -> ImportError {
    ImportError::unsupported(node.name(), node.op_type(), reason)
}

/// Translates one node that is not a convolution, pooling or normalisation.
/// `bn`: a BatchNormalization to fold into a Gemm (scale, shift per output column).
pub(super) fn node(tr: &mut Tr<'_>, node: &NodeProto, bn: Option<(Vec<f64>, Vec<f64>)>) -> Result<(), ImportError> {
    match node.op_type() {
        "Identity" | "Dropout" => {
            let v = tr.input(node, 0)?;
            tr.set(node, v);
        }
        "Cast" => cast(tr, node)?,
        "Constant" => {
            let v = constant(node)?;
            tr.set(node, v);
        }
        "Shape" => shape_of(tr, node)?,
        "Gather" => gather(tr, node)?,
        "Unsqueeze" | "Squeeze" => squeeze(tr, node)?,
        "Concat" => concat(tr, node)?,
        "Reshape" => reshape(tr, node)?,
        "Flatten" => flatten(tr, node)?,
        "Transpose" => transpose(tr, node)?,
        "Gemm" => gemm(tr, node, bn)?,
        "MatMul" => binary(tr, node, "@")?,
        "Add" => binary(tr, node, "+")?,
        "Sub" => binary(tr, node, "-")?,
        "Mul" => binary(tr, node, "*")?,
        "Div" => binary(tr, node, "/")?,
        "Neg" => unary(tr, node, |x| format!("-{x}"))?,
        "Relu" => unary(tr, node, |x| format!("relu({x})"))?,
        "Sigmoid" => unary(tr, node, |x| format!("sigmoid({x})"))?,
        "Tanh" => unary(tr, node, |x| format!("tanh({x})"))?,
        "Exp" => unary(tr, node, |x| format!("exp({x})"))?,
        "Log" => unary(tr, node, |x| format!("log({x})"))?,
        "Sqrt" => unary(tr, node, |x| format!("sqrt({x})"))?,
        "Reciprocal" => unary(tr, node, |x| format!("reciprocal({x})"))?,
        "LeakyRelu" => {
            let a = attr_f(node, "alpha", 0.01);
            unary(tr, node, |x| format!("{x} * ({} + {} * ({x} > 0))", number(a), number(1.0 - a)))?
        }
        "Softmax" | "LogSoftmax" => softmax(tr, node)?,
        other => return Err(unsupported(node, format!("the op `{other}` is not supported"))),
    }
    Ok(())
}

fn cast(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    use onnx::tensor_proto::DataType;
    let to = attr_i(node, "to", 0) as i32;
    let v = tr.input(node, 0)?;
    let float = to == DataType::Float as i32 || to == DataType::Double as i32;
    match v {
        Val::Var { .. } if !float => Err(unsupported(node, "a cast of a computed tensor to a non-float type")),
        v => {
            tr.set(node, v);
            Ok(())
        }
    }
}

/// `Constant`: its `value` tensor or `value_float(s)` / `value_int(s)`.
fn constant(node: &NodeProto) -> Result<Val, ImportError> {
    if let Some(t) = attr(node, "value").and_then(|a| a.t.as_ref()) {
        return crate::tensor::to_array(t, &format!("node `{}` (Constant)", node.name())).map(Val::Const);
    }
    let scalar = |v: f64| Val::Const(Array::from_elem(IxDyn(&[]), v));
    let list = |v: Vec<f64>| Val::Const(Array::from_shape_vec(IxDyn(&[v.len()]), v).unwrap_or_default());
    if let Some(a) = attr(node, "value_float") {
        return Ok(scalar(f64::from(a.f())));
    }
    if let Some(a) = attr(node, "value_int") {
        return Ok(scalar(a.i() as f64));
    }
    if let Some(a) = attr(node, "value_floats") {
        return Ok(list(a.floats.iter().map(|&v| f64::from(v)).collect()));
    }
    if let Some(a) = attr(node, "value_ints") {
        return Ok(list(a.ints.iter().map(|&v| v as f64).collect()));
    }
    Err(unsupported(node, "a Constant without a numeric value (sparse or string constants are not supported)"))
}

fn shape_of(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let dims: Vec<Dim> = match tr.input(node, 0)? {
        Val::Var { shape, .. } => shape,
        Val::Const(a) => shape::known(a.shape()),
        Val::Dims(d) => vec![Dim::N(d.len())],
    };
    let rank = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v.saturating_add(rank) } else { v }).clamp(0, rank) as usize;
    let start = clamp(attr_i(node, "start", 0));
    let end = clamp(attr_i(node, "end", rank));
    tr.set(node, Val::Dims(dims.get(start..end.max(start)).unwrap_or_default().to_vec()));
    Ok(())
}

/// The integers of a known tensor (axes, indices, shapes).
pub(super) fn ints(v: &Val, node: &NodeProto, what: &str) -> Result<Vec<i64>, ImportError> {
    match v {
        Val::Const(a) => Ok(a.iter().map(|&x| x as i64).collect()),
        Val::Dims(d) if d.iter().all(|d| matches!(d, Dim::N(_))) => {
            Ok(d.iter().map(|d| if let Dim::N(n) = d { *n as i64 } else { -1 }).collect())
        }
        _ => Err(unsupported(node, format!("{what} must be known when the model is imported, not computed"))),
    }
}

fn gather(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let data = tr.input(node, 0)?;
    let indices = tr.input(node, 1)?;
    let idx = match &indices {
        Val::Const(a) => a.clone(),
        _ => {
            return Err(unsupported(node, "gathering at computed indices (e.g. an embedding lookup) is not supported"))
        }
    };
    let axis_attr = attr_i(node, "axis", 0);
    let pick = |n: usize, i: f64| -> Result<usize, ImportError> {
        let i = i as i64;
        let j = if i < 0 { i + n as i64 } else { i };
        usize::try_from(j).ok().filter(|&j| j < n).ok_or_else(|| unsupported(node, format!("index {i} out of range")))
    };
    match data {
        Val::Dims(d) => {
            let picked: Vec<Dim> = idx
                .iter()
                .map(|&i| pick(d.len(), i).map(|j| d.get(j).copied().unwrap_or(Dim::N(0))))
                .collect::<Result<_, _>>()?;
            tr.set(node, Val::Dims(picked));
        }
        Val::Const(a) => {
            let axis = shape::axis(axis_attr, a.ndim()).ok_or_else(|| unsupported(node, "axis out of range"))?;
            let n = a.shape().get(axis).copied().unwrap_or(0);
            let at: Vec<usize> = idx.iter().map(|&i| pick(n, i)).collect::<Result<_, _>>()?;
            let picked = a.select(Axis(axis), &at);
            let mut dims: Vec<usize> = a.shape().to_vec();
            dims.splice(axis..=axis, idx.shape().iter().copied());
            let out = picked.into_shape_clone(IxDyn(&dims)).map_err(|e| unsupported(node, e.to_string()))?;
            tr.set(node, Val::Const(out));
        }
        Val::Var { .. } => {
            return Err(unsupported(
                node,
                "gathering from a computed tensor is not supported (only from shapes and constants)",
            ))
        }
    }
    Ok(())
}

fn squeeze(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let x = tr.input(node, 0)?;
    let axes: Option<Vec<i64>> = match attr_ints(node, "axes") {
        Some(a) => Some(a),
        None => tr.opt_input(node, 1)?.map(|v| ints(&v, node, "the axes")).transpose()?,
    };
    let unsqueeze = node.op_type() == "Unsqueeze";
    if let Val::Dims(d) = x {
        // A shape entry (a scalar) made 1-D, or the reverse: the same list.
        tr.set(node, Val::Dims(d));
        return Ok(());
    }
    let in_shape = match &x {
        Val::Var { shape, .. } => shape.clone(),
        Val::Const(a) => shape::known(a.shape()),
        Val::Dims(_) => Vec::new(),
    };
    let out: Shape = if unsqueeze {
        let axes = axes.ok_or_else(|| unsupported(node, "no axes"))?;
        let rank = in_shape.len() + axes.len();
        let mut at: Vec<usize> = axes
            .iter()
            .map(|&a| shape::axis(a, rank).ok_or_else(|| unsupported(node, "axis out of range")))
            .collect::<Result<_, _>>()?;
        at.sort_unstable();
        let mut rest = in_shape.iter();
        (0..rank).map(|i| if at.contains(&i) { Dim::N(1) } else { rest.next().copied().unwrap_or(Dim::N(1)) }).collect()
    } else {
        let rank = in_shape.len();
        let at: Vec<usize> = match axes {
            Some(axes) => axes
                .iter()
                .map(|&a| shape::axis(a, rank).ok_or_else(|| unsupported(node, "axis out of range")))
                .collect::<Result<_, _>>()?,
            None => (0..rank).filter(|&i| in_shape.get(i) == Some(&Dim::N(1))).collect(),
        };
        in_shape.iter().enumerate().filter(|(i, _)| !at.contains(i)).map(|(_, d)| *d).collect()
    };
    match x {
        Val::Const(a) => {
            let dims: Vec<usize> = out.iter().map(|d| if let Dim::N(n) = d { *n } else { 1 }).collect();
            let a = a.into_shape_clone(IxDyn(&dims)).map_err(|e| unsupported(node, e.to_string()))?;
            tr.set(node, Val::Const(a));
        }
        Val::Var { name, shape } => {
            let expr = format!("reshape({name}, {})", shape::mpc_list(&out));
            tr.emit(node, expr, &[&shape], out);
        }
        Val::Dims(_) => {}
    }
    Ok(())
}

fn concat(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let vals: Vec<Val> = (0..node.input.len()).map(|i| tr.input(node, i)).collect::<Result<_, _>>()?;
    let axis = attr_i(node, "axis", 0);
    if vals.iter().all(|v| matches!(v, Val::Dims(_)) || matches!(v, Val::Const(a) if a.ndim() <= 1)) {
        let mut dims = Vec::new();
        for v in &vals {
            match v {
                Val::Dims(d) => dims.extend(d.iter().copied()),
                Val::Const(a) => {
                    dims.extend(a.iter().map(|&x| if x >= 0.0 { Dim::N(x as usize) } else { Dim::Batch(0) }))
                }
                Val::Var { .. } => {}
            }
        }
        if vals.iter().all(|v| matches!(v, Val::Const(_))) {
            // Plain constants: keep the values (−1 included).
            let all: Vec<f64> = vals
                .iter()
                .flat_map(|v| if let Val::Const(a) = v { a.iter().copied().collect() } else { Vec::new() })
                .collect();
            tr.set(node, Val::Const(Array::from_shape_vec(IxDyn(&[all.len()]), all).unwrap_or_default()));
        } else {
            tr.set(node, Val::Dims(dims));
        }
        return Ok(());
    }
    let mut parts = Vec::new();
    let mut shapes = Vec::new();
    for (i, v) in vals.into_iter().enumerate() {
        let name = node.input.get(i).cloned().unwrap_or_default();
        let (e, s) = tr.operand(&name, v)?;
        parts.push(e);
        shapes.push(s);
    }
    let rank = shapes.first().map_or(0, Vec::len);
    let ax = shape::axis(axis, rank).ok_or_else(|| unsupported(node, "axis out of range"))?;
    let mut out = shapes.first().cloned().unwrap_or_default();
    let mut total = 0usize;
    for s in &shapes {
        match s.get(ax) {
            Some(Dim::N(n)) => total = total.saturating_add(*n),
            _ => return Err(unsupported(node, "concatenation along the batch axis")),
        }
    }
    if let Some(d) = out.get_mut(ax) {
        *d = Dim::N(total);
    }
    let refs: Vec<&Shape> = shapes.iter().collect();
    tr.emit(node, format!("cat([{}], {ax})", parts.join(", ")), &refs, out);
    Ok(())
}

/// The entries of a `Reshape` target.
fn targets(v: &Val, node: &NodeProto) -> Result<Vec<Target>, ImportError> {
    match v {
        Val::Const(a) => Ok(a.iter().map(|&x| Target::Value(x as i64)).collect()),
        Val::Dims(d) => Ok(d
            .iter()
            .map(|d| match d {
                Dim::Batch(0) => Target::Value(-1),
                Dim::N(n) => Target::Value(*n as i64),
                other => Target::Dim(*other),
            })
            .collect()),
        Val::Var { .. } => Err(unsupported(node, "the target shape is computed from data, not known at import")),
    }
}

fn reshape(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let x = tr.input(node, 0)?;
    let target = targets(&tr.input(node, 1)?, node)?;
    if attr_i(node, "allowzero", 0) != 0 && target.contains(&Target::Value(0)) {
        return Err(unsupported(node, "a 0 in the target with allowzero=1 (a dimension of size 0)"));
    }
    match x {
        Val::Const(a) => {
            let out = shape::reshape(&shape::known(a.shape()), &target).map_err(|e| unsupported(node, e))?;
            let dims: Vec<usize> = out.iter().map(|d| if let Dim::N(n) = d { *n } else { 1 }).collect();
            let a = a
                .as_standard_layout()
                .into_owned()
                .into_shape_clone(IxDyn(&dims))
                .map_err(|e| unsupported(node, e.to_string()))?;
            tr.set(node, Val::Const(a));
        }
        Val::Var { name, shape } => {
            let out = shape::reshape(&shape, &target).map_err(|e| unsupported(node, e))?;
            tr.emit(node, format!("reshape({name}, {})", shape::mpc_list(&out)), &[&shape], out);
        }
        // A shape list (or one entry of it) reshaped to a list: the same entries.
        Val::Dims(d) => tr.set(node, Val::Dims(d)),
    }
    Ok(())
}

fn flatten(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let (name, shape) = match tr.input(node, 0)? {
        Val::Var { name, shape } => (name, shape),
        v => {
            let input = node.input.first().cloned().unwrap_or_default();
            tr.operand(&input, v)?
        }
    };
    let axis = attr_i(node, "axis", 1);
    let a = shape::axis(axis, shape.len() + 1).ok_or_else(|| unsupported(node, "axis out of range"))?;
    let (head, tail) = shape.split_at(a.min(shape.len()));
    let target = [merged(head), merged(tail)];
    let out = shape::reshape(&shape, &target.map(Target::Dim)).map_err(|e| unsupported(node, e))?;
    let expr = if a == 1 && shape.len() >= 2 {
        format!("flatten({name}, 1)")
    } else {
        format!("reshape({name}, {})", shape::mpc_list(&out))
    };
    tr.emit(node, expr, &[&shape], out);
    Ok(())
}

/// The product of dimensions as one.
fn merged(dims: &[Dim]) -> Dim {
    dims.iter().fold(Dim::N(1), |acc, d| match (acc, d) {
        (Dim::N(a), Dim::N(b)) => Dim::N(a.saturating_mul(*b)),
        (Dim::N(a), Dim::Batch(b)) | (Dim::Batch(a), Dim::N(b)) | (Dim::Batch(a), Dim::Batch(b)) => {
            Dim::Batch(a.saturating_mul(*b))
        }
    })
}

fn transpose(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let x = tr.input(node, 0)?;
    let rank = match &x {
        Val::Var { shape, .. } => shape.len(),
        Val::Const(a) => a.ndim(),
        Val::Dims(_) => 1,
    };
    let perm: Vec<usize> = match attr_ints(node, "perm") {
        Some(p) => p
            .iter()
            .map(|&a| shape::axis(a, rank).ok_or_else(|| unsupported(node, "bad perm")))
            .collect::<Result<_, _>>()?,
        None => (0..rank).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank).collect::<Vec<_>>() {
        return Err(unsupported(node, format!("perm {perm:?} is not a permutation of the {rank} axes")));
    }
    match x {
        Val::Const(a) => {
            let t = a.permuted_axes(IxDyn(&perm)).as_standard_layout().into_owned();
            tr.set(node, Val::Const(t));
        }
        Val::Var { name, shape } => {
            if perm != (0..rank).rev().collect::<Vec<_>>() {
                return Err(unsupported(
                    node,
                    format!("the permutation {perm:?} of a computed tensor (mpcc's `transpose` reverses all axes)"),
                ));
            }
            let out: Shape = shape.iter().rev().copied().collect();
            tr.emit(node, format!("transpose({name})"), &[&shape], out);
        }
        Val::Dims(d) => tr.set(node, Val::Dims(d)),
    }
    Ok(())
}

/// `Gemm`: `alpha · A' @ B' + beta · C` with `'` the optional transposes; known `B` and `C` are
/// folded into the weights (transposed to `[in, out]`, scaled), and so is a BatchNormalization
/// after it (`bn`: scale and shift per output column).
fn gemm(tr: &mut Tr<'_>, node: &NodeProto, bn: Option<(Vec<f64>, Vec<f64>)>) -> Result<(), ImportError> {
    let folded = match bn {
        Some((scale, shift)) => Some(fold_bn(tr, node, &scale, &shift)?),
        None => None,
    };
    let alpha = attr_f(node, "alpha", 1.0);
    let beta = attr_f(node, "beta", 1.0);
    let (ta, tb) = (attr_i(node, "transA", 0) != 0, attr_i(node, "transB", 0) != 0);
    let a_name = node.input.first().cloned().unwrap_or_default();
    let b_name = node.input.get(1).cloned().unwrap_or_default();
    let (mut a, mut sa) = tr.operand(&a_name, tr.input(node, 0)?)?;
    if ta {
        a = format!("transpose({a})");
        sa.reverse();
    }
    let (b, sb) = match (folded.as_ref(), tr.input(node, 1)?) {
        (Some((w, _)), _) => {
            let s = shape::known(w.shape());
            (tr.weight(&b_name, w.clone(), "transposed to [in, out], BatchNormalization folded in"), s)
        }
        (None, Val::Const(w)) => {
            let w = if tb { w.reversed_axes().as_standard_layout().into_owned() } else { w };
            let w = w * alpha;
            let s = shape::known(w.shape());
            let note = match (tb, alpha != 1.0) {
                (true, false) => "transposed to [in, out]",
                (true, true) => "transposed to [in, out], times alpha",
                (false, true) => "times alpha",
                (false, false) => "",
            };
            (tr.weight(&b_name, w, note), s)
        }
        (None, v) => {
            let (mut e, mut s) = tr.operand(&b_name, v)?;
            if tb {
                e = format!("transpose({e})");
                s.reverse();
            }
            if alpha != 1.0 {
                e = format!("{} * {e}", number(alpha));
            }
            (e, s)
        }
    };
    let mut out = shape::matmul(&sa, &sb).ok_or_else(|| {
        unsupported(node, format!("the shapes {} and {} do not multiply", shape::text(&sa), shape::text(&sb)))
    })?;
    let mut expr = format!("{a} @ {b}");
    let c = match folded {
        Some((_, bias)) => Some(Val::Const(bias)),
        None => tr.opt_input(node, 2)?.map(|c| match c {
            Val::Const(c) if beta != 1.0 => Val::Const(c * beta),
            other => other,
        }),
    };
    let mut shapes = vec![sa.clone(), sb.clone()];
    if let Some(c) = c {
        let c_name = node.input.get(2).cloned().unwrap_or_else(|| format!("{}.bias", node.name()));
        let (ce, cs) = tr.operand(&c_name, c)?;
        out = shape::broadcast(&out, &cs).ok_or_else(|| unsupported(node, "the bias does not broadcast"))?;
        expr = format!("{expr} + {ce}");
        shapes.push(cs);
    }
    let refs: Vec<&Shape> = shapes.iter().collect();
    tr.emit(node, expr, &refs, out);
    Ok(())
}

/// The `[in, out]` weight and the bias of a Gemm with known `B` (and `C`) with the
/// BatchNormalization after it folded in: columns times `scale`, bias `(c · scale) + shift`.
fn fold_bn(tr: &Tr<'_>, node: &NodeProto, scale: &[f64], shift: &[f64]) -> Result<(Array, Array), ImportError> {
    let alpha = attr_f(node, "alpha", 1.0);
    let beta = attr_f(node, "beta", 1.0);
    let Val::Const(w) = tr.input(node, 1)? else {
        return Err(unsupported(node, "a BatchNormalization after a Gemm whose weight is computed"));
    };
    let w = if attr_i(node, "transB", 0) != 0 { w.reversed_axes().as_standard_layout().into_owned() } else { w };
    let mut w = w * alpha;
    if w.ndim() != 2 || w.shape().get(1) != Some(&scale.len()) {
        return Err(unsupported(node, "the BatchNormalization after it does not match its output"));
    }
    for (mut col, s) in w.axis_iter_mut(Axis(1)).zip(scale) {
        col.mapv_inplace(|v| v * s);
    }
    let c: Vec<f64> = match tr.opt_input(node, 2)? {
        None => vec![0.0; scale.len()],
        Some(Val::Const(c)) => {
            let c = c * beta;
            let c = c.broadcast(IxDyn(&[scale.len()])).map(|v| v.iter().copied().collect());
            c.ok_or_else(|| unsupported(node, "a bias that is not one value per output"))?
        }
        Some(_) => return Err(unsupported(node, "a BatchNormalization after a Gemm whose bias is computed")),
    };
    let b: Vec<f64> = c.iter().zip(scale).zip(shift).map(|((c, s), t)| c * s + t).collect();
    let b = Array::from_shape_vec(IxDyn(&[b.len()]), b).map_err(|e| unsupported(node, e.to_string()))?;
    Ok((w, b))
}

fn binary(tr: &mut Tr<'_>, node: &NodeProto, op: &str) -> Result<(), ImportError> {
    let (x, y) = (tr.input(node, 0)?, tr.input(node, 1)?);
    if let (Val::Const(a), Val::Const(b)) = (&x, &y) {
        // ndarray's operators panic on shapes that do not broadcast: check first.
        if op != "@" && shape::broadcast(&shape::known(a.shape()), &shape::known(b.shape())).is_none() {
            return Err(unsupported(node, format!("the shapes {:?} and {:?} do not broadcast", a.shape(), b.shape())));
        }
        let folded = match op {
            "+" => Some(a + b),
            "-" => Some(a - b),
            "*" => Some(a * b),
            "/" => Some(a / b),
            _ => None,
        };
        if let Some(c) = folded {
            tr.set(node, Val::Const(c));
            return Ok(());
        }
    }
    if op == "/" && matches!(y, Val::Dims(_)) {
        return Err(unsupported(node, "a division by a shape"));
    }
    let names = (node.input.first().cloned().unwrap_or_default(), node.input.get(1).cloned().unwrap_or_default());
    let (a, sa) = tr.operand(&names.0, x)?;
    let (b, sb) = tr.operand(&names.1, y)?;
    let out = if op == "@" { shape::matmul(&sa, &sb) } else { shape::broadcast(&sa, &sb) };
    let out = out.ok_or_else(|| {
        unsupported(node, format!("the shapes {} and {} do not fit", shape::text(&sa), shape::text(&sb)))
    })?;
    tr.emit(node, format!("{a} {op} {b}"), &[&sa, &sb], out);
    Ok(())
}

fn unary(tr: &mut Tr<'_>, node: &NodeProto, f: impl Fn(&str) -> String) -> Result<(), ImportError> {
    let input = node.input.first().cloned().unwrap_or_default();
    let v = tr.input(node, 0)?;
    let (x, s) = tr.operand(&input, v)?;
    tr.emit(node, f(&x), &[&s], s.clone());
    Ok(())
}

fn softmax(tr: &mut Tr<'_>, node: &NodeProto) -> Result<(), ImportError> {
    let input = node.input.first().cloned().unwrap_or_default();
    let v = tr.input(node, 0)?;
    let (x, s) = tr.operand(&input, v)?;
    let default = if tr.opset >= 13 { -1 } else { 1 };
    let axis =
        shape::axis(attr_i(node, "axis", default), s.len()).ok_or_else(|| unsupported(node, "axis out of range"))?;
    if tr.opset < 13 && axis + 1 != s.len() {
        return Err(unsupported(
            node,
            "before opset 13, Softmax flattens the axes after `axis`; only the last axis is supported",
        ));
    }
    let f = if node.op_type() == "Softmax" { "softmax" } else { "log_softmax" };
    tr.emit(node, format!("{f}({x}, {axis})"), &[&s], s.clone());
    Ok(())
}

//! Elementwise plaintext ops: broadcasting binary ops (arithmetic, comparisons giving 0/1,
//! maximum/minimum), unary ops, `pow` and `where`, plus the domain checks the executor turns into
//! warnings (`log` of x ≤ 0, division by ~0, …).
//!
//! The ops compute IEEE results (NaN, inf) for out-of-domain inputs; deciding whether that is a
//! warning or an error is the executor's job.

use super::{broadcast_shape, Tensor};
use crate::error::RunError;
use mpcc_ir::{BinaryOp, UnaryOp};
use ndarray::{IxDyn, Zip};

/// Divisors with a magnitude below this count as "~0" for the domain check.
pub const NEAR_ZERO: f64 = 1e-12;

/// Applies `f` elementwise over the NumPy broadcast of `a` and `b`.
pub fn broadcast_with(a: &Tensor, b: &Tensor, f: impl Fn(f64, f64) -> f64) -> Result<Tensor, RunError> {
    broadcast_shape(a.shape(), b.shape())?;
    crate::broadcast::zip_with(a, b, f).ok_or_else(|| RunError::shape("operands do not broadcast"))
}

fn flag(c: bool) -> f64 {
    if c {
        1.0
    } else {
        0.0
    }
}

/// One binary op on two numbers.
pub fn binary_scalar(op: BinaryOp, x: f64, y: f64) -> f64 {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        BinaryOp::Lt => flag(x < y),
        BinaryOp::Le => flag(x <= y),
        BinaryOp::Gt => flag(x > y),
        BinaryOp::Ge => flag(x >= y),
        BinaryOp::Eq => flag(x == y),
        BinaryOp::Ne => flag(x != y),
        BinaryOp::Maximum => x.max(y),
        BinaryOp::Minimum => x.min(y),
    }
}

/// A broadcasting binary op.
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor, RunError> {
    broadcast_with(a, b, |x, y| binary_scalar(op, x, y))
}

/// One unary op on a number. `sign` is +1 for x ≥ 0 and −1 otherwise (as CrypTen).
pub fn unary_scalar(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Square => x * x,
        UnaryOp::Sign => {
            if x >= 0.0 {
                1.0
            } else {
                -1.0
            }
        }
        UnaryOp::Abs => x.abs(),
        UnaryOp::Relu => {
            if x > 0.0 {
                x
            } else {
                0.0
            }
        }
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::InvSqrt => 1.0 / x.sqrt(),
        UnaryOp::Reciprocal => 1.0 / x,
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Tanh => x.tanh(),
    }
}

/// The logistic function, computed without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// An elementwise unary op.
pub fn unary(op: UnaryOp, x: &Tensor) -> Tensor {
    x.mapv(|v| unary_scalar(op, v))
}

/// `pow(x, k)`: `x^k` for an integer `k` (negative `k` is `1 / x^-k`; `x^0` is 1).
pub fn pow(x: &Tensor, k: i32) -> Tensor {
    x.mapv(|v| v.powi(k))
}

/// `where(c, a, b)`: `a` where `c` is 1, `b` where `c` is 0, and `c * a + (1 - c) * b`
/// for any other `c` (the IR's definition); broadcasting over all three.
pub fn where_(c: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor, RunError> {
    let ab = broadcast_shape(a.shape(), b.shape())?;
    let shape = broadcast_shape(c.shape(), &ab)?;
    let (Some(cv), Some(av), Some(bv)) =
        (c.broadcast(IxDyn(&shape)), a.broadcast(IxDyn(&shape)), b.broadcast(IxDyn(&shape)))
    else {
        return Err(RunError::shape("operands of `where` do not broadcast"));
    };
    Ok(Zip::from(&cv).and(&av).and(&bv).map_collect(|&c, &a, &b| {
        if c == 1.0 {
            a
        } else if c == 0.0 {
            b
        } else {
            c * a + (1.0 - c) * b
        }
    }))
}

/// An out-of-domain input found by [`unary_domain`] or [`div_domain`]: the first offending
/// element's flat position and value, and how many elements are out of domain.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainViolation {
    pub what: &'static str,
    pub first_index: usize,
    pub first_value: f64,
    pub count: usize,
}

impl DomainViolation {
    /// A sentence for the warning, e.g. ``log` of a value ≤ 0 (2 elements; first: -1.0 at flat index 3)``.
    pub fn message(&self) -> String {
        format!(
            "{} ({} element{}; first: {} at flat index {})",
            self.what,
            self.count,
            if self.count == 1 { "" } else { "s" },
            crate::format::format_number(self.first_value),
            self.first_index
        )
    }
}

fn find_violation(x: &Tensor, what: &'static str, bad: impl Fn(f64) -> bool) -> Option<DomainViolation> {
    let mut found: Option<DomainViolation> = None;
    for (i, &v) in x.iter().enumerate() {
        if bad(v) {
            match &mut found {
                Some(d) => d.count += 1,
                None => found = Some(DomainViolation { what, first_index: i, first_value: v, count: 1 }),
            }
        }
    }
    found
}

/// Checks the input of `log`, `sqrt`, `inv_sqrt` and `reciprocal` against the op's domain.
pub fn unary_domain(op: UnaryOp, x: &Tensor) -> Option<DomainViolation> {
    match op {
        UnaryOp::Log => find_violation(x, "`log` of a value ≤ 0", |v| v <= 0.0),
        UnaryOp::Sqrt => find_violation(x, "`sqrt` of a negative value", |v| v < 0.0),
        UnaryOp::InvSqrt => find_violation(x, "`inv_sqrt` of a value ≤ 0", |v| v <= 0.0),
        UnaryOp::Reciprocal => find_violation(x, "`reciprocal` of a value ~0", |v| v.abs() < NEAR_ZERO),
        _ => None,
    }
}

/// Checks a divisor for values ~0 (|b| < [`NEAR_ZERO`]).
pub fn div_domain(b: &Tensor) -> Option<DomainViolation> {
    find_violation(b, "division by a value ~0", |v| v.abs() < NEAR_ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2, ArrayD};

    fn t1(v: &[f64]) -> Tensor {
        arr1(v).into_dyn()
    }

    #[test]
    fn binary_ops_broadcast_rows_and_columns() {
        let col = arr2(&[[1.0], [2.0]]).into_dyn();
        let row = t1(&[10.0, 20.0, 30.0]);
        let sum = binary(BinaryOp::Add, &col, &row).ok();
        assert_eq!(sum, Some(arr2(&[[11.0, 21.0, 31.0], [12.0, 22.0, 32.0]]).into_dyn()));
        let d = binary(BinaryOp::Div, &row, &ArrayD::from_elem(IxDyn(&[]), 10.0)).ok();
        assert_eq!(d, Some(t1(&[1.0, 2.0, 3.0])));
        assert!(binary(BinaryOp::Mul, &t1(&[1.0, 2.0]), &row).is_err());
    }

    #[test]
    fn comparisons_give_zero_or_one() {
        let a = t1(&[1.0, 2.0, 3.0]);
        let b = t1(&[2.0, 2.0, 2.0]);
        let expect = [
            (BinaryOp::Lt, [1.0, 0.0, 0.0]),
            (BinaryOp::Le, [1.0, 1.0, 0.0]),
            (BinaryOp::Gt, [0.0, 0.0, 1.0]),
            (BinaryOp::Ge, [0.0, 1.0, 1.0]),
            (BinaryOp::Eq, [0.0, 1.0, 0.0]),
            (BinaryOp::Ne, [1.0, 0.0, 1.0]),
            (BinaryOp::Maximum, [2.0, 2.0, 3.0]),
            (BinaryOp::Minimum, [1.0, 2.0, 2.0]),
            (BinaryOp::Sub, [-1.0, 0.0, 1.0]),
        ];
        for (op, want) in expect {
            assert_eq!(binary(op, &a, &b).ok(), Some(t1(&want)), "{op:?}");
        }
    }

    #[test]
    fn unary_ops_match_hand_values() {
        let x = t1(&[-2.0, 0.0, 4.0]);
        let cases: [(UnaryOp, [f64; 3]); 6] = [
            (UnaryOp::Neg, [2.0, 0.0, -4.0]),
            (UnaryOp::Square, [4.0, 0.0, 16.0]),
            (UnaryOp::Sign, [-1.0, 1.0, 1.0]),
            (UnaryOp::Abs, [2.0, 0.0, 4.0]),
            (UnaryOp::Relu, [0.0, 0.0, 4.0]),
            (UnaryOp::Reciprocal, [-0.5, f64::INFINITY, 0.25]),
        ];
        for (op, want) in cases {
            assert_eq!(unary(op, &x), t1(&want), "{op:?}");
        }
        let p = t1(&[1.0, 4.0]);
        assert_eq!(unary(UnaryOp::Sqrt, &p), t1(&[1.0, 2.0]));
        assert_eq!(unary(UnaryOp::InvSqrt, &p), t1(&[1.0, 0.5]));
        assert_eq!(unary(UnaryOp::Log, &t1(&[1.0])), t1(&[0.0]));
        assert_eq!(unary(UnaryOp::Exp, &t1(&[0.0])), t1(&[1.0]));
        assert_eq!(unary(UnaryOp::Sigmoid, &t1(&[0.0])), t1(&[0.5]));
        assert!((sigmoid(-800.0)).abs() < 1e-300 && sigmoid(800.0) == 1.0);
        assert!((unary_scalar(UnaryOp::Tanh, 1.0) - 0.761_594_155_955_764_9).abs() < 1e-12);
    }

    #[test]
    fn pow_and_where() {
        assert_eq!(pow(&t1(&[2.0, -3.0]), 3), t1(&[8.0, -27.0]));
        assert_eq!(pow(&t1(&[2.0]), 0), t1(&[1.0]));
        assert_eq!(pow(&t1(&[2.0]), -1), t1(&[0.5]));
        let c = arr2(&[[1.0], [0.0]]).into_dyn();
        let got = where_(&c, &t1(&[1.0, 2.0]), &ArrayD::from_elem(IxDyn(&[]), f64::INFINITY)).ok();
        assert_eq!(got, Some(arr2(&[[1.0, 2.0], [f64::INFINITY, f64::INFINITY]]).into_dyn()));
        let half = where_(&t1(&[0.5]), &t1(&[2.0]), &t1(&[4.0])).ok();
        assert_eq!(half, Some(t1(&[3.0])));
    }

    #[test]
    fn domain_checks_find_the_first_offender() {
        let x = t1(&[1.0, -1.0, 0.0]);
        let v = unary_domain(UnaryOp::Log, &x);
        assert_eq!(v.as_ref().map(|d| (d.first_index, d.count)), Some((1, 2)));
        assert_eq!(
            v.map(|d| d.message()).as_deref(),
            Some("`log` of a value ≤ 0 (2 elements; first: -1.0 at flat index 1)")
        );
        assert_eq!(unary_domain(UnaryOp::Sqrt, &x).map(|d| d.count), Some(1));
        assert!(unary_domain(UnaryOp::Exp, &x).is_none());
        assert_eq!(div_domain(&x).map(|d| d.first_index), Some(2));
        assert!(div_domain(&t1(&[1e-3])).is_none());
    }
}

//! The accuracy table: every approximated function, by mpcc's method and by CrypTen 0.4.1's
//! default (`crypten.rs`), run with the simulated engine on a dense grid of its domain and
//! compared with f64. Rounds and bytes come from the transport and dealer counters of the run
//! (the protocol call only: sharing and the final reveal are outside the measured window).
//!
//! Grids: `points` points with both ends included; domains spanning two or more decades
//! (lo > 0, hi/lo ≥ 100) take half the points evenly spaced and half geometrically spaced. The
//! reference is f64 evaluated at the *encoded* input (so input rounding is not counted as error).
//! Relative error is taken over points where |f(x)| ≥ 1e-3 (below that, one unit of the 16-bit
//! format is already more than 1.5% of the value). softmax/log_softmax use rows of 8 logits.

use super::{crypten, exp, log, reciprocal, sigmoid, softmax, sqrt};
use crate::fixed::FixedPoint;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::{reveal, share_from, Shared};
use crate::simulate::{simulate, SimConfig};
use ndarray::{ArrayD, IxDyn};

/// Whose method a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Mpcc,
    CrypTen,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Mpcc => "mpcc",
            Method::CrypTen => "crypten",
        }
    }
}

/// One measured row.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyRow {
    pub function: &'static str,
    pub domain: (f64, f64),
    pub method: Method,
    pub max_abs_err: f64,
    pub max_rel_err: f64,
    /// Communication rounds of one call (any number of elements).
    pub rounds: u64,
    /// Bytes sent per party per input element (the most any party sent).
    pub bytes_per_element: f64,
    /// Bytes the dealer sent party 0 per input element.
    pub dealer_bytes_per_element: f64,
}

type Op = fn(&mut Party, &Shared) -> Result<Shared, MpcError>;

/// A function of the table: its name, domain, reference, and the two methods.
pub struct Case {
    pub function: &'static str,
    pub domain: (f64, f64),
    /// Rows of this length along the last axis (softmax); 0 for elementwise functions.
    pub row: usize,
    pub reference: fn(&[f64]) -> Vec<f64>,
    pub mpcc: Op,
    pub crypten: Op,
}

fn each(f: fn(f64) -> f64) -> impl Fn(&[f64]) -> Vec<f64> {
    move |x| x.iter().map(|&v| f(v)).collect()
}

fn softmax_rows(x: &[f64], log: bool) -> Vec<f64> {
    x.chunks(8)
        .flat_map(|r| {
            let m = r.iter().copied().fold(f64::MIN, f64::max);
            let s: f64 = r.iter().map(|v| (v - m).exp()).sum();
            r.iter().map(move |v| if log { v - m - s.ln() } else { (v - m).exp() / s }).collect::<Vec<_>>()
        })
        .collect()
}

fn last_axis(x: &Shared) -> usize {
    x.data.ndim().saturating_sub(1)
}

/// The table's functions, with CrypTen's usual domains.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            function: "exp",
            domain: (-8.0, 8.0),
            row: 0,
            reference: |x| each(f64::exp)(x),
            mpcc: exp::exp,
            crypten: crypten::exp,
        },
        Case {
            function: "log",
            domain: (1e-4, 100.0),
            row: 0,
            reference: |x| each(f64::ln)(x),
            mpcc: log::log,
            crypten: crypten::log,
        },
        Case {
            function: "reciprocal",
            domain: (0.1, 100.0),
            row: 0,
            reference: |x| each(f64::recip)(x),
            mpcc: reciprocal::reciprocal,
            crypten: crypten::reciprocal,
        },
        Case {
            function: "sqrt",
            domain: (0.01, 100.0),
            row: 0,
            reference: |x| each(f64::sqrt)(x),
            mpcc: sqrt::sqrt,
            crypten: crypten::sqrt,
        },
        Case {
            function: "inv_sqrt",
            domain: (0.01, 100.0),
            row: 0,
            reference: |x| each(|v| 1.0 / v.sqrt())(x),
            mpcc: sqrt::inv_sqrt,
            crypten: crypten::inv_sqrt,
        },
        Case {
            function: "sigmoid",
            domain: (-10.0, 10.0),
            row: 0,
            reference: |x| each(|v| 1.0 / (1.0 + (-v).exp()))(x),
            mpcc: sigmoid::sigmoid,
            crypten: crypten::sigmoid,
        },
        Case {
            function: "tanh",
            domain: (-10.0, 10.0),
            row: 0,
            reference: |x| each(f64::tanh)(x),
            mpcc: sigmoid::tanh,
            crypten: crypten::tanh,
        },
        Case {
            function: "softmax",
            domain: (-10.0, 10.0),
            row: 8,
            reference: |x| softmax_rows(x, false),
            mpcc: |p, x| softmax::softmax(p, x, last_axis(x)),
            crypten: |p, x| crypten::softmax(p, x, last_axis(x)),
        },
        Case {
            function: "log_softmax",
            domain: (-10.0, 10.0),
            row: 8,
            reference: |x| softmax_rows(x, true),
            mpcc: |p, x| softmax::log_softmax(p, x, last_axis(x)),
            crypten: |p, x| crypten::log_softmax(p, x, last_axis(x)),
        },
    ]
}

/// `points` grid points of `domain`, ends included (see the module doc for the spacing).
pub fn grid(domain: (f64, f64), points: usize) -> Vec<f64> {
    let (lo, hi) = domain;
    let points = points.max(2);
    let linear = |k: usize| -> Vec<f64> { (0..k).map(|i| lo + (hi - lo) * i as f64 / (k - 1).max(1) as f64).collect() };
    if lo > 0.0 && hi / lo >= 100.0 {
        let half = points / 2;
        let mut v = linear(points - half);
        let (a, b) = (lo.ln(), hi.ln());
        v.extend((0..half).map(|i| (a + (b - a) * i as f64 / (half - 1).max(1) as f64).exp()));
        v.sort_by(f64::total_cmp);
        v
    } else {
        linear(points)
    }
}

/// For softmax rows: a deterministic shuffle so that each row mixes the whole domain.
fn shuffled(mut v: Vec<f64>) -> Vec<f64> {
    let n = v.len();
    for i in 0..n {
        let j = (i * 7919 + 13) % n;
        v.swap(i, j);
    }
    v
}

/// What one measured run gives: outputs and per-call counters.
pub struct Measured {
    pub input: Vec<f64>,
    pub output: Vec<f64>,
    pub rounds: u64,
    pub bytes_per_element: f64,
    pub dealer_bytes_per_element: f64,
}

/// Runs `op` on `values` (shaped as rows of `row` when `row > 0`) with `n_parties` simulated
/// parties; returns the decoded inputs, outputs and the call's counters.
pub fn measure(n_parties: usize, values: &[f64], row: usize, op: Op) -> Result<Measured, MpcError> {
    measure_with(n_parties, None, values, row, op)
}

/// As `measure`, comparing with `compare` (`None`: the default for the party count).
pub fn measure_with(
    n_parties: usize,
    compare: Option<crate::protocols::compare::CompareMode>,
    values: &[f64],
    row: usize,
    op: Op,
) -> Result<Measured, MpcError> {
    let fixed = FixedPoint::default();
    let shape = match values.len().checked_div(row) {
        Some(rows) => vec![rows, row],
        None => vec![values.len()],
    };
    let take: usize = shape.iter().product();
    let x = ArrayD::from_shape_vec(IxDyn(&shape), values.get(..take).unwrap_or_default().to_vec())
        .map_err(|e| MpcError::Invalid { party: 0, op: "accuracy", reason: e.to_string() })?;
    let enc = fixed.encode(&x)?;
    let input: Vec<f64> = fixed.decode(&enc).iter().copied().collect();
    let mut cfg = SimConfig::new(n_parties, Some(7));
    cfg.compare = compare;
    let reports = simulate(&cfg, |party| {
        let share = share_from(party, 0, (party.id() == 0).then_some(&enc), &shape, 16)?;
        let (c0, d0) = (party.comm_stats(), party.dealer_stats());
        let out = op(party, &share)?;
        let (c1, d1) = (party.comm_stats(), party.dealer_stats());
        let opened = reveal(party, &out)?;
        Ok((
            opened.decode().iter().copied().collect::<Vec<f64>>(),
            c1.rounds - c0.rounds,
            c1.bytes_sent - c0.bytes_sent,
            d1.bytes_received - d0.bytes_received,
        ))
    })?;
    let n = take.max(1) as f64;
    let first = &reports
        .first()
        .ok_or_else(|| MpcError::Invalid { party: 0, op: "accuracy", reason: "no party reported".to_string() })?
        .output;
    Ok(Measured {
        input,
        output: first.0.clone(),
        rounds: reports.iter().map(|r| r.output.1).max().unwrap_or(0),
        bytes_per_element: reports.iter().map(|r| r.output.2).max().unwrap_or(0) as f64 / n,
        dealer_bytes_per_element: reports.iter().map(|r| r.output.3).sum::<u64>() as f64 / n,
    })
}

/// (max absolute error, max relative error over |want| ≥ 1e-3).
pub fn errors(got: &[f64], want: &[f64]) -> (f64, f64) {
    let mut abs = 0.0f64;
    let mut rel = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        let e = (g - w).abs();
        abs = abs.max(e);
        if w.abs() >= 1e-3 {
            rel = rel.max(e / w.abs());
        }
    }
    (abs, rel)
}

/// The same functions over the whole encodable range at 16 fractional bits (|x| < 2^46 ≈ 7.04e13;
/// exp up to its overflow point 46·ln 2 ≈ 31.88, beyond which it saturates).
pub fn wide_cases() -> Vec<Case> {
    let wide = |function: &str| -> Option<(f64, f64)> {
        Some(match function {
            "exp" => (-40.0, 31.8),
            "log" | "reciprocal" | "sqrt" | "inv_sqrt" => (1e-4, 7e13),
            "sigmoid" | "tanh" => (-1000.0, 1000.0),
            "softmax" | "log_softmax" => (-100.0, 100.0),
            _ => return None,
        })
    };
    cases().into_iter().filter_map(|c| Some(Case { domain: wide(c.function)?, ..c })).collect()
}

/// Every function of `cases()` and then of `wide_cases()` by both methods on a grid of `points`
/// points per domain.
pub fn accuracy_table(n_parties: usize, points: usize) -> Result<Vec<AccuracyRow>, MpcError> {
    let mut rows = Vec::new();
    for case in cases().into_iter().chain(wide_cases()) {
        let mut values = grid(case.domain, points);
        if case.row > 0 {
            values = shuffled(values);
        }
        // CrypTen's methods compare as CrypTen does, with a binary adder (the carry tree); mpcc's
        // with the run's default (the DCF protocol for 2 parties).
        let tree = Some(crate::protocols::compare::CompareMode::Tree);
        for (method, op, compare) in [(Method::Mpcc, case.mpcc, None), (Method::CrypTen, case.crypten, tree)] {
            let m = measure_with(n_parties, compare, &values, case.row, op)?;
            let want = (case.reference)(&m.input);
            let (max_abs_err, max_rel_err) = errors(&m.output, &want);
            rows.push(AccuracyRow {
                function: case.function,
                domain: case.domain,
                method,
                max_abs_err,
                max_rel_err,
                rounds: m.rounds,
                bytes_per_element: m.bytes_per_element,
                dealer_bytes_per_element: m.dealer_bytes_per_element,
            });
        }
    }
    Ok(rows)
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}

/// A domain bound: plain, or in exponent form from 10^5 on (7e13).
fn fmt_bound(v: f64) -> String {
    if v.abs() >= 1e5 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The rows as a Markdown table.
/// The whole table as `mpcc accuracy` prints it: a line saying how it was measured, then the
/// Markdown table.
pub fn report(n_parties: usize, points: usize) -> Result<String, MpcError> {
    let rows = accuracy_table(n_parties, points)?;
    Ok(format!("{n_parties} parties, {points} points per domain, 16 fractional bits\n\n{}", render_markdown(&rows)))
}

pub fn render_markdown(rows: &[AccuracyRow]) -> String {
    let mut s = String::from(
        "| function | domain | method | max abs error | max rel error | rounds | bytes/elem (per party) | dealer bytes/elem |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | [{}, {}] | {} | {} | {} | {} | {:.0} | {:.0} |\n",
            r.function,
            fmt_bound(r.domain.0),
            fmt_bound(r.domain.1),
            r.method.name(),
            fmt_num(r.max_abs_err),
            fmt_num(r.max_rel_err),
            r.rounds,
            r.bytes_per_element,
            r.dealer_bytes_per_element,
        ));
    }
    s
}

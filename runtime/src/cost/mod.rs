//! `mpcc cost`: the exact communication of a secure run — rounds, bytes each party sends, the
//! dealer's bytes, in total and per source span — computed without running the protocols: no
//! shares, no messages, no dealer. A static model (docs/cost.md).
//!
//! How: the program is walked as the secure executor walks it ([`walk`]), public values computed
//! for real with the public evaluator (after the compiler's oblivious pass, control flow depends
//! on public values only), private inputs known by their shapes alone (read from the data files'
//! headers), private values carried as (shape, fixed-point scale). Each private op is counted by
//! [`ops`], which mirrors the executor's dispatch, with the protocols' costs in [`meter`]
//! (openings and dealer requests) and [`approx`] (the nonlinear functions and reductions).
//!
//! When a cost depends on the contents of a `reveal`ed value (a branch on it, a loop bound), the
//! model cannot be static: [`estimate`] then walks again following the plaintext (the private
//! inputs read in full) and says so in [`CostReport::followed_plaintext`].
//!
//! The correlated randomness is assumed to come from the trusted dealer (`--preprocessing
//! dealer`, the default); OT preprocessing's own traffic is not modelled.

pub mod approx;
pub mod meter;
pub mod ops;
pub mod walk;

pub use meter::{Cost, Meter};

use crate::dealer::DealerStats;
use crate::error::{ErrorKind, RunError};
use crate::exec::RunConfig;
use mpcc_ir::{Program, Span};

/// What [`estimate`] reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CostReport {
    pub n_parties: usize,
    /// Party names by rank (`P<rank>` past the program's named parties).
    pub parties: Vec<String>,
    /// `fss` or `tree`.
    pub compare: String,
    /// Fixed-point fractional bits.
    pub precision: u32,
    /// The whole run.
    pub total: Cost,
    /// Per source span of an op or statement that communicates, in source order.
    pub by_span: Vec<(Span, Cost)>,
    /// Every op or statement that communicates, in the order the run reaches it, with its rounds
    /// (consecutive entries of one span merged; loops unrolled). The rounds sum to the total.
    #[serde(skip)]
    pub schedule: Vec<(Span, u64)>,
    /// The waves of the round-merging plan that merged rounds: the span their cost is counted on
    /// (the first member's) and the other members' spans.
    #[serde(skip)]
    pub side_by_side: Vec<(Span, Vec<Span>)>,
    /// The correlated randomness the run consumes (what the dealer, or OT preprocessing, must
    /// make): party 0's dealer counters as its dealer client would count them.
    pub needs: DealerStats,
    /// `Some(why)` when a cost depended on a revealed value, so that the model followed the
    /// plaintext computed from the data files read in full (`why` names the first such use).
    pub followed_plaintext: Option<String>,
}

/// A network for [`CostReport::seconds`]: round-trip time and bandwidth per party.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Network {
    pub rtt_ms: f64,
    pub mbit_per_s: f64,
}

impl CostReport {
    /// The estimated communication time on `net`: `(latency, transfer)` in seconds, where latency
    /// is rounds × RTT and transfer the busiest party's bytes over the bandwidth. Leaves out local
    /// computation, the dealer's link, message framing and TCP/TLS overhead.
    pub fn seconds(&self, net: Network) -> (f64, f64) {
        let latency = self.total.rounds as f64 * net.rtt_ms / 1e3;
        let transfer = self.total.max_sent() as f64 * 8.0 / (net.mbit_per_s * 1e6);
        (latency, transfer)
    }
}

/// The communication of running `program` securely with `n_parties` under `cfg` (its data
/// folders, precision and comparison protocol; the seed and printing options do not matter).
/// Nothing is written: `save` and `output(…, file=…)` are skipped.
pub fn estimate(program: &Program, n_parties: usize, cfg: &RunConfig) -> Result<CostReport, RunError> {
    crate::exec::mpc::check_parties(program, n_parties)?;
    if cfg.preprocessing != crate::preprocessing::Preprocessing::Dealer {
        return Err(RunError::new(
            ErrorKind::Config,
            "the cost model assumes the trusted dealer (`--preprocessing dealer`); OT preprocessing is not modelled",
        ));
    }
    let fixed = crate::exec::fixed_point(cfg)?;
    let mode = crate::exec::compare_mode(cfg, n_parties)?;
    let meter = Meter::new(n_parties, mode, fixed.frac_bits);
    let ((by_span, needs, schedule, side_by_side), followed_plaintext) =
        match walk_once(program, cfg, meter.clone(), false) {
            Ok(walked) => (walked, None),
            Err(failed) => match failed.needs {
                None => return Err(failed.error),
                Some(why) => match walk_once(program, cfg, meter, true) {
                    Ok(walked) => (walked, Some(why)),
                    Err(failed) => return Err(failed.error),
                },
            },
        };
    let mut total = Cost::zero(n_parties);
    for (_, c) in &by_span {
        total.add(c);
    }
    let parties = (0..n_parties).map(|p| program.party_name(mpcc_ir::PartyId(p as u32))).collect();
    Ok(CostReport {
        n_parties,
        parties,
        compare: mode.name().to_string(),
        precision: fixed.frac_bits,
        total,
        by_span,
        schedule,
        side_by_side,
        needs,
        followed_plaintext,
    })
}

/// A failed walk: the error and, if the walk needed a revealed value's contents, why.
struct Failed {
    error: RunError,
    needs: Option<String>,
}

/// The cost per span (in source order), the correlated randomness and the schedule of one walk.
type Walked = (Vec<(Span, Cost)>, DealerStats, Vec<(Span, u64)>, Vec<(Span, Vec<Span>)>);

/// One walk: the cost per span, in source order, and the correlations asked for.
fn walk_once(program: &Program, cfg: &RunConfig, meter: Meter, plain: bool) -> Result<Walked, Box<Failed>> {
    let mut model = walk::Model::new(program, cfg, meter, plain);
    if let Err(error) = model.run() {
        let needs = model.needs.borrow_mut().take();
        return Err(Box::new(Failed { error, needs }));
    }
    let needs = model.correlations();
    let schedule = std::mem::take(&mut model.schedule);
    let side_by_side = std::mem::take(&mut model.side_by_side);
    let mut by_span: Vec<(Span, Cost)> = model.by_span.into_iter().collect();
    by_span.sort_by_key(|(s, _)| (s.start, s.end));
    Ok((by_span, needs, schedule, side_by_side))
}

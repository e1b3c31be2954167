//! `mpcc run` without `--compare`, 2 parties, dealer preprocessing: the comparison protocol is
//! picked by the cost model. Both protocols are costed (`mpcc_runtime::cost::estimate`, a static
//! walk that reads only the headers of private inputs) and the one with the lower estimated time
//! on the run's network wins:
//!
//! time = rounds × RTT + (busiest party's bytes + dealer bytes) / bandwidth
//!        + dealer bytes × `DEALER_NS_PER_BYTE`
//!
//! The last term stands for the work behind the correlated randomness: a DCF key pair costs the
//! dealer about 1.2 µs to make and each party 0.6 µs to walk (`cargo run --release -p
//! mpcc-runtime --example dcf_speed`), and their bytes are what the cost model knows of them.
//! Measured on this project's 2-core machine (2026-12-02, after the DCF's branch-free rewrite),
//! the DCF runs took 0.5 (10^5 comparisons), 0.7 (svm.mpc, MLP forward) and 0.25 (training
//! epoch) ns of extra wall time per extra dealer byte over the carry tree; 0.7 is used (it was
//! 1.5 before, when the same runs took 0.9–3.4). In one process the network terms vanish, and the
//! carry tree wins on every program measured; on a network the DCF's fewer rounds win once the
//! round-trip time is a few milliseconds (SVM: above about 4 ms at 1 Gbit/s).
//!
//! With `--party` the other parties' input files are not at hand, so no estimate is possible
//! there: the runtime's default (fss for 2 parties) applies, or `--compare`.

use mpcc_runtime::cost::{estimate, CostReport, Network};
use mpcc_runtime::error::RunError;
use mpcc_runtime::exec::RunConfig;
use mpcc_runtime::protocols::compare::CompareMode;

/// Extra wall time per dealer byte, in nanoseconds (see the module doc).
pub const DEALER_NS_PER_BYTE: f64 = 0.7;

/// The choice and the estimates behind it: each protocol's best, with or without the folds that
/// save rounds with dealer bytes (`RunConfig::dealer_folds`).
#[derive(Clone, Copy, Debug)]
pub struct Choice {
    pub mode: CompareMode,
    /// Whether the dealer-byte folds are on.
    pub folds: bool,
    pub fss_seconds: f64,
    pub tree_seconds: f64,
}

impl Choice {
    /// One line for the run's report.
    pub fn describe(&self, link: Network) -> String {
        let (chosen, other, other_name) = match self.mode {
            CompareMode::Fss => (self.fss_seconds, self.tree_seconds, "tree"),
            CompareMode::Tree => (self.tree_seconds, self.fss_seconds, "fss"),
        };
        let folds = if self.folds { ", dealer folds on" } else { "" };
        format!(
            "comparisons: {}{folds} (chosen by the cost model: estimated {:.3} s against {:.3} s with {other_name}, at {} ms \
             round-trip and {} Mbit/s; `--compare` and `--dealer-folds` set it)",
            self.mode.name(),
            chosen,
            other,
            link.rtt_ms,
            link.mbit_per_s
        )
    }
}

/// The estimated time of a costed run on `link`, in seconds: `mpcc cost`'s estimate (rounds ×
/// RTT + the busiest party's bytes over the bandwidth) plus the dealer's bytes on the wire and
/// their making.
pub fn seconds(report: &CostReport, link: Network) -> f64 {
    let (latency, transfer) = report.seconds(link);
    let dealer = report.total.dealer_bytes as f64;
    latency + transfer + dealer * 8.0 / (link.mbit_per_s * 1e6) + dealer * DEALER_NS_PER_BYTE * 1e-9
}

/// Costs `program` with both comparison protocols under `cfg` (2 parties) and picks the faster
/// on `link`; a tie goes to the carry tree (fewer dealer bytes).
pub fn choose(program: &mpcc_ir::Program, cfg: &RunConfig, link: Network) -> Result<Choice, RunError> {
    let cost_with = |mode: CompareMode, folds: bool| {
        let mut cfg = cfg.clone();
        cfg.compare = Some(mode);
        cfg.dealer_folds = Some(folds);
        estimate(program, 2, &cfg).map(|r| seconds(&r, link))
    };
    // Each protocol's best estimate over the fold settings allowed (`dealer_folds` forces one).
    let best = |mode: CompareMode| -> Result<(f64, bool), RunError> {
        let mut best: Option<(f64, bool)> = None;
        for folds in [false, true].into_iter().filter(|f| cfg.dealer_folds.is_none_or(|forced| forced == *f)) {
            let s = cost_with(mode, folds)?;
            if best.is_none_or(|(b, _)| s < b) {
                best = Some((s, folds));
            }
        }
        best.ok_or_else(|| RunError::new(mpcc_runtime::error::ErrorKind::Internal, "no fold setting to cost"))
    };
    let (fss_seconds, fss_folds) = best(CompareMode::Fss)?;
    let (tree_seconds, tree_folds) = best(CompareMode::Tree)?;
    let (mode, folds) =
        if fss_seconds < tree_seconds { (CompareMode::Fss, fss_folds) } else { (CompareMode::Tree, tree_folds) };
    Ok(Choice { mode, folds, fss_seconds, tree_seconds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpcc_runtime::cost::Cost;

    fn report(rounds: u64, sent: u64, dealer: u64) -> CostReport {
        CostReport {
            n_parties: 2,
            parties: vec!["A".into(), "B".into()],
            compare: "tree".into(),
            precision: 16,
            total: Cost { rounds, bytes_sent: vec![sent, sent], dealer_bytes: dealer },
            by_span: Vec::new(),
            schedule: Vec::new(),
            side_by_side: Vec::new(),
            needs: Default::default(),
            followed_plaintext: None,
        }
    }

    #[test]
    fn the_estimate_adds_latency_transfer_and_dealer_work() {
        // 1000 rounds at 2 ms, 125 MB at 1000 Mbit/s (1 s), 1 GB of dealer bytes (8 s on the
        // wire and 0.7 s of work).
        let r = report(1000, 125_000_000, 1_000_000_000);
        let t = seconds(&r, Network { rtt_ms: 2.0, mbit_per_s: 1000.0 });
        assert!((t - (2.0 + 1.0 + 8.0 + 0.7)).abs() < 1e-9, "{t}");
    }

    #[test]
    fn folded_comparisons_are_chosen_where_rounds_cost_more_than_dealer_bytes() {
        // sign(a·b + c)·d on 1000 elements: folding saves two rounds for a second key set.
        let src = "parties A, B;\nlet a = private(src=A, randn([1, 1000], seed=1));\n\
                   let b = private(src=B, randn([1, 1000], seed=2));\nlet c = private(src=A, randn([1, 1000], seed=3));\n\
                   print(reveal(sum(sign(a * b + c) * b)));\n";
        let program = mpcc_compiler::compile(src, &Default::default()).program.expect("compiles");
        let cfg = RunConfig::default();
        let far = choose(&program, &cfg, Network { rtt_ms: 200.0, mbit_per_s: 10000.0 }).expect("costed");
        assert_eq!((far.mode, far.folds), (CompareMode::Fss, true), "{far:?}");
        let near = choose(&program, &cfg, Network { rtt_ms: 0.0, mbit_per_s: 10000.0 }).expect("costed");
        assert!(!near.folds, "{near:?}");
        // Told not to fold, the choice does not.
        let told = RunConfig { dealer_folds: Some(false), ..RunConfig::default() };
        let far = choose(&program, &told, Network { rtt_ms: 200.0, mbit_per_s: 10000.0 }).expect("costed");
        assert!(!far.folds, "{far:?}");
    }
}

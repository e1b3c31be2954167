//! The executor API shared by the engines and the `mpcc` binary: the run configuration
//! ([`RunConfig`]), the events a run emits ([`Event`], delivered to a [`Sink`]), the
//! [`RunReport`] and the plaintext engine's entry point [`run_plain`].
//!
//! Engines do not print: they hand `print`/`output` text and warnings to the sink, and the
//! caller decides where they go. This module holds no op semantics (see [`crate::plain`]).

pub mod eval;
pub mod mpc;
pub mod origin;
pub mod plain;
#[cfg(test)]
mod plain_tests;
pub mod ranges;
pub mod walk;

pub use mpc::{run_mpc, run_party, MpcReport, PartyReport};
pub use mpcc_ir::Span;

use crate::error::RunError;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to run a program.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Each party's data folder, by rank; the binary fills one per party
    /// (default: the program's folder). `load`/`save`/`output(…, path)` resolve inside them.
    pub data_dirs: Vec<PathBuf>,
    /// Fixed-point fractional bits (default 16, at most `fixed::MAX_FRAC_BITS`); the plaintext
    /// engine checks it and uses it for its domain warnings.
    pub precision: u32,
    /// MPC share randomness (`None`: OS entropy); unused by the plaintext engine.
    pub seed: Option<u64>,
    /// Plaintext: an out-of-domain input (`log`/`sqrt`/`inv_sqrt`/`reciprocal` of a bad value,
    /// division by ~0) or a NaN/infinite result is an error instead of a warning.
    pub strict_domains: bool,
    /// Told after each iteration of the program's outermost `for` loops (for progress bars).
    pub progress: Progress,
    /// Plaintext: emit [`Event::Loop`] with the trip count of every loop run (what every party
    /// sees of a loop; the noninterference tests compare it across private inputs).
    pub trace_loops: bool,
    /// How `print` and `output` show numbers (`--print-precision`).
    pub print: crate::format::PrintOptions,
    /// The comparison protocol of an MPC run (`--compare`); `None`: the default for the party
    /// count (`CompareMode::default_for`).
    pub compare: Option<crate::protocols::compare::CompareMode>,
    /// Where the correlated randomness comes from: the trusted dealer (default) or, for two
    /// parties, oblivious transfer between them (`--preprocessing ot`).
    pub preprocessing: crate::preprocessing::Preprocessing,
    /// MPC: run independent private ops side by side with merged rounds (`mpcc_ir::schedule`,
    /// `crate::merge`); off with `--no-merge`. Values are the same either way.
    pub merge_rounds: bool,
    /// MPC with `merge_rounds` and the dealer: the folds that save rounds with more dealer bytes
    /// (`mpcc_ir::fold`: comparisons opened with the truncation before them or the product after
    /// them, with the DCF; a matrix product that opens its left factor's truncation). `None`:
    /// on with the DCF, off with the carry tree (`dealer_folds`); `mpcc run --dealer-folds`, or
    /// the cost model when `mpcc run` picks the protocol.
    pub dealer_folds: Option<bool>,
}

/// A callback told `(loop span, iterations done, iterations in all)` after each iteration of an
/// outermost `for` loop. Only party 0 of an MPC run calls it. It sees no value, only counts.
#[derive(Clone, Default)]
pub struct Progress(pub Option<std::sync::Arc<ProgressFn>>);

/// What [`Progress`] calls: `(loop span, iterations done, iterations in all)`.
pub type ProgressFn = dyn Fn(mpcc_ir::Span, u64, u64) + Send + Sync;

impl Progress {
    /// Calls the callback, if any.
    pub fn tick(&self, span: mpcc_ir::Span, done: u64, total: u64) {
        if let Some(f) = &self.0 {
            f(span, done, total);
        }
    }

    /// Whether `span` is that of a `for` statement at the top of `program`'s body.
    pub fn is_outermost(program: &mpcc_ir::Program, span: mpcc_ir::Span) -> bool {
        program.body.0.iter().any(|s| matches!(s, mpcc_ir::Stmt::For { span: sp, .. } if *sp == span))
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(callback)" } else { "Progress(none)" })
    }
}

/// Progress callbacks never make two configurations differ.
impl PartialEq for Progress {
    fn eq(&self, _: &Progress) -> bool {
        true
    }
}

impl RunConfig {
    /// A configuration whose parties all read and write `dir`.
    pub fn with_dir(dir: &Path, n_parties: usize) -> RunConfig {
        RunConfig { data_dirs: vec![dir.to_path_buf(); n_parties.max(1)], ..RunConfig::default() }
    }
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            data_dirs: Vec::new(),
            precision: 16,
            seed: None,
            strict_domains: false,
            progress: Progress::default(),
            trace_loops: false,
            print: crate::format::PrintOptions::default(),
            compare: None,
            preprocessing: crate::preprocessing::Preprocessing::Dealer,
            merge_rounds: true,
            dealer_folds: None,
        }
    }
}

impl RunConfig {
    /// Whether the dealer-byte folds are on for comparisons by `mode` (`dealer_folds`).
    pub fn dealer_folds(&self, mode: crate::protocols::compare::CompareMode) -> bool {
        self.dealer_folds.unwrap_or(mode == crate::protocols::compare::CompareMode::Fss)
    }
}

/// Something a run tells its caller.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `print(…)`: the formatted line (without a newline), seen by every party.
    Print { text: String },
    /// `output(e, to=P)`: the formatted value, seen by `party` (its name) alone.
    Output { party: String, text: String },
    /// A non-fatal problem at an op (an out-of-domain input, a NaN result).
    Warning { span: mpcc_ir::Span, message: String },
    /// A loop finished after `iterations` runs of its body (only with `RunConfig::trace_loops`).
    Loop { span: mpcc_ir::Span, iterations: u64 },
}

/// Where a run's events go.
pub trait Sink {
    fn event(&mut self, event: Event);
}

/// A sink that keeps every event, in order (for tests and for callers that print later).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VecSink {
    pub events: Vec<Event>,
}

impl VecSink {
    /// The text of every `print` event, in order.
    pub fn prints(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Print { text } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Sink for VecSink {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
}

/// What a finished run reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// Wall-clock time of the run.
    pub wall: Duration,
    /// How many values were computed (`Stmt::Eval`s executed, counting loop iterations).
    pub values_computed: u64,
    /// How many warnings were emitted.
    pub warnings: usize,
    /// Files written by `save` and `output(…, path)`, in order.
    pub files_written: Vec<PathBuf>,
}

/// The run's fixed-point format, or an `ErrorKind::Precision` error naming the allowed range.
pub fn fixed_point(cfg: &RunConfig) -> Result<crate::fixed::FixedPoint, RunError> {
    crate::fixed::FixedPoint::new(cfg.precision)
        .map_err(|e| RunError::new(crate::error::ErrorKind::Precision, format!("--precision: {e}")))
}

/// The comparison protocol of an MPC run of `n_parties`: `cfg.compare`, or the default for the
/// party count. The DCF protocol is for 2 parties; asking for it with more is a configuration
/// error.
pub fn compare_mode(cfg: &RunConfig, n_parties: usize) -> Result<crate::protocols::compare::CompareMode, RunError> {
    use crate::protocols::compare::CompareMode;
    let ot = cfg.preprocessing == crate::preprocessing::Preprocessing::Ot;
    match cfg.compare {
        Some(CompareMode::Fss) if n_parties != 2 => Err(RunError::new(
            crate::error::ErrorKind::Config,
            format!("--compare fss needs exactly 2 parties, not {n_parties} (use --compare tree)"),
        )),
        // DCF keys come from a dealer; OT preprocessing makes the tree's correlations only.
        Some(CompareMode::Fss) if ot => Err(RunError::new(
            crate::error::ErrorKind::Config,
            "--compare fss needs the dealer's DCF keys; with --preprocessing ot use --compare tree",
        )),
        Some(mode) => Ok(mode),
        None if ot => Ok(CompareMode::Tree),
        None => Ok(CompareMode::default_for(n_parties)),
    }
}

/// Runs `program` on the plaintext (f64) engine; see [`plain`]. The precision is checked as for
/// an MPC run, so a configuration that runs here also runs securely.
pub fn run_plain(program: &mpcc_ir::Program, cfg: &RunConfig, sink: &mut dyn Sink) -> Result<RunReport, RunError> {
    fixed_point(cfg)?;
    plain::run(program, cfg, sink, None)
}

/// As [`run_plain`], telling `observer` about every value (see [`ranges`]).
pub fn run_plain_observed(
    program: &mpcc_ir::Program,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
    observer: &mut dyn ranges::Observer,
) -> Result<RunReport, RunError> {
    fixed_point(cfg)?;
    plain::run(program, cfg, sink, Some(observer))
}

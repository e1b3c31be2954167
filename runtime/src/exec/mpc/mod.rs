//! The secret-shared executor: runs the compiler's IR with every private value additively
//! shared among N parties.
//!
//! - [`run_party`] runs one party's side over a ready [`Party`] (its transport, dealer client and
//!   seeds): the networked engine calls it with a TCP transport and a remote dealer, inside
//!   `net::party::run_networked`'s `work` closure.
//! - [`run_mpc`] simulates a whole run in one process: every party a thread over in-process
//!   channels, the trusted dealer on its own thread, events merged in program order (so
//!   `--parties N` prints what `--plaintext` prints), and one [`MpcReport`].
//!
//! Values per party ([`values::Val`]): public (f64, computed identically everywhere with the
//! plaintext ops), local to one party, or private (this party's share). The op dispatch is in
//! [`machine`] (routing), [`public`] (plaintext), [`ops`] and [`mixed`] (private). Openings
//! happen only at `reveal`/`output` and are listed in the [`audit::AuditLog`]; no value or share
//! is ever logged.

pub mod audit;
mod identity;
pub(crate) mod lazy;
mod machine;
pub mod masks;
pub(crate) mod mixed;
pub mod ops;
pub mod stats;
pub mod values;
pub(crate) mod wave;

pub use audit::{AuditEntry, AuditLog};
pub use machine::SpanCounts;
pub use stats::{MpcReport, PartyReport, PartyStats};

use crate::comm::{Comm, CountingComm, LocalComm};
use crate::error::{ErrorKind, RunError};
use crate::exec::{Event, RunConfig, Sink};
use crate::party::Party;
use crate::preprocessing::Preprocessing;
use crate::simulate::{keep_first_error, run_threads, PartySetup};
use machine::Machine;
use mpcc_ir::{PartyId, Program};
use std::time::Instant;
use values::is_hang_up;

/// Every message each party sent, per party: `(recipient, bytes)` in sending order.
pub type Recorded = Vec<Vec<(usize, Vec<u8>)>>;

/// Runs this party's side of `program` on `party`; `print` and `output` events go to `sink`.
/// Every party of the run must call it with the same program and configuration.
pub fn run_party(
    program: &Program,
    party: &mut Party,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
) -> Result<PartyReport, RunError> {
    let mut emit = |_seq: u64, event: Event| sink.event(event);
    run_party_seq(program, party, cfg, &mut emit)
}

/// As [`run_party`], each event tagged with the number of the statement that made it (the same
/// on every party, as control flow is public).
pub fn run_party_seq(
    program: &Program,
    party: &mut Party,
    cfg: &RunConfig,
    emit: &mut dyn FnMut(u64, Event),
) -> Result<PartyReport, RunError> {
    let start = Instant::now();
    check_parties(program, party.n_parties())?;
    party.set_compare(crate::exec::compare_mode(cfg, party.n_parties())?);
    let id = party.id();
    let reveals_before = party.protocol_stats().reveals;
    let mut m = Machine::new(program, cfg, party, emit);
    m.run()?;
    let (audit, counters) = (m.audit, m.counters);
    let (values_computed, warnings, files_written) = (m.values_computed, m.warnings, m.files_written);
    let mut by_span: Vec<_> = m.by_span.into_iter().collect();
    by_span.sort_by_key(|(s, _)| (s.start, s.end));
    let name = program.party_name(PartyId(id as u32));
    check_reveals(&name, party.protocol_stats().reveals.saturating_sub(reveals_before), &audit)?;
    let mut stats = PartyStats::new(
        program.party_name(PartyId(id as u32)),
        party.comm_stats(),
        party.dealer_stats(),
        party.protocol_stats(),
        counters,
    );
    stats.preprocessing = party.preprocessing_stats();
    Ok(PartyReport {
        stats,
        audit,
        values_computed,
        warnings,
        files_written,
        by_span,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Checks that the unmasked openings this party made are exactly the program's `Reveal` and
/// `Output` statements that ran (as the audit log counts them): any other opening is a bug that
/// may have shown a secret, and the run is refused.
fn check_reveals(name: &str, reveals: u64, audit: &AuditLog) -> Result<(), RunError> {
    let statements: u64 = audit.entries.iter().map(|e| e.times).sum();
    if reveals == statements {
        return Ok(());
    }
    Err(RunError::new(
        ErrorKind::Internal,
        format!(
            "this party opened {reveals} values unmasked, but the program's reveal and output statements opened {statements}: the run is refused"
        ),
    )
    .with_party(name))
}

/// At least 2 parties, and at least as many as the program names (the run and the cost model).
pub(crate) fn check_parties(program: &Program, n: usize) -> Result<(), RunError> {
    if n < 2 {
        return Err(RunError::new(ErrorKind::Config, format!("{n} parties: a secure run needs at least 2")));
    }
    if n < program.parties.len() {
        return Err(RunError::new(
            ErrorKind::Config,
            format!(
                "the program names {} parties ({}); run it with at least {}",
                program.parties.len(),
                program.parties.join(", "),
                program.parties.len()
            ),
        ));
    }
    Ok(())
}

/// Simulates `program` with `n_parties` parties, each a thread over in-process channels, with
/// the trusted dealer on its own thread. Events reach `sink` in program order after the run
/// (also when it fails: what ran before the failure is delivered, then the error returned).
pub fn run_mpc(
    program: &Program,
    n_parties: usize,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
) -> Result<MpcReport, RunError> {
    let comms =
        LocalComm::mesh(n_parties).into_iter().map(|c| Box::new(CountingComm::new(c)) as Box<dyn Comm>).collect();
    run_mpc_with_comms(program, comms, cfg, sink).map(|(report, _)| report)
}

/// As [`run_mpc`], but keeps a copy of every message each party sent (for leak tests): the
/// second result holds, per party, `(recipient, bytes)` in sending order.
pub fn run_mpc_recording(
    program: &Program,
    n_parties: usize,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
) -> Result<(MpcReport, Recorded), RunError> {
    let comms =
        LocalComm::mesh(n_parties).into_iter().map(|c| Box::new(CountingComm::recording(c)) as Box<dyn Comm>).collect();
    run_simulated(program, comms, cfg, sink, true)
}

/// Simulates a run over the given transports (one per party, in rank order).
pub fn run_mpc_with_comms(
    program: &Program,
    comms: Vec<Box<dyn Comm>>,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
) -> Result<(MpcReport, Recorded), RunError> {
    run_simulated(program, comms, cfg, sink, false)
}

fn run_simulated(
    program: &Program,
    comms: Vec<Box<dyn Comm>>,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
    record: bool,
) -> Result<(MpcReport, Recorded), RunError> {
    let n = comms.len();
    check_parties(program, n)?;
    let fixed = crate::exec::fixed_point(cfg)?;
    let start = Instant::now();
    let mode = crate::exec::compare_mode(cfg, n)?;
    if cfg.preprocessing == Preprocessing::Ot && n != 2 {
        return Err(RunError::new(
            ErrorKind::Config,
            format!("`--preprocessing ot` runs between exactly 2 parties, not {n}: use the dealer for more"),
        ));
    }
    let setup = PartySetup {
        seed: cfg.seed,
        fixed,
        preprocessing: cfg.preprocessing,
        dealer_thread: true,
        record,
        compare: Some(mode),
    };
    let work = |party: &mut Party| {
        let mut events = Vec::new();
        let mut emit = |seq: u64, e: Event| events.push((seq, e));
        (run_party_seq(program, party, cfg, &mut emit), events)
    };
    let outcomes = run_threads(comms, &setup, &work).map_err(|e| RunError::new(ErrorKind::Config, e.to_string()))?;
    let mut tagged: Vec<(u64, usize, Event)> = Vec::new();
    let mut reports = Vec::with_capacity(n);
    let mut recorded = Vec::with_capacity(n);
    let mut first_err: Option<RunError> = None;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let Some(end) = outcome else {
            let err = RunError::new(ErrorKind::Internal, format!("party {i} panicked"));
            keep_first_error(&mut first_err, err, is_hang_up);
            recorded.push(Vec::new());
            continue;
        };
        let (result, events) = end.output;
        // `print` runs on every party with the same text: show it once, as the plaintext run does.
        tagged.extend(
            events.into_iter().filter(|(_, e)| i == 0 || !matches!(e, Event::Print { .. })).map(|(seq, e)| (seq, i, e)),
        );
        let mut rec = end.recorded;
        rec.extend(end.preprocessing_recorded);
        recorded.push(rec);
        match result {
            Ok(r) => reports.push(r),
            Err(e) => keep_first_error(&mut first_err, e, is_hang_up),
        }
    }
    tagged.sort_by_key(|(seq, party, _)| (*seq, *party));
    for (_, _, e) in tagged {
        sink.event(e);
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok((MpcReport::combine(reports, fixed.frac_bits, start.elapsed()), recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_the_program_did_not_ask_for_refuses_the_run() {
        let mut audit = AuditLog::default();
        assert!(check_reveals("ALICE", 0, &audit).is_ok());
        let entry = AuditEntry {
            kind: "reveal".into(),
            to: "all".into(),
            value: "%3".into(),
            what: "reveal(…)".into(),
            shape: "[]".into(),
            span: mpcc_ir::Span::new(0, 1),
            times: 4,
        };
        audit.entries.push(entry);
        assert!(check_reveals("ALICE", 4, &audit).is_ok());
        let err = check_reveals("ALICE", 5, &audit).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(
            err.to_string()
                .contains("opened 5 values unmasked, but the program's reveal and output statements opened 4"),
            "{err}"
        );
        assert!(check_reveals("ALICE", 3, &audit).is_err());
    }
}

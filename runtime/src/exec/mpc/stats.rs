//! What an MPC run reports: per party ([`PartyReport`], what [`super::run_party`] returns) and
//! for the whole run ([`MpcReport`]): rounds, bytes sent per party, dealer bytes, correlated
//! randomness used, comparisons, wall time and the audit log — with a human rendering for
//! stderr and `serde` for `--stats json`.
//!
//! Only counts, shapes and source spans appear here: never a value or a share.

use super::audit::AuditLog;
use super::ops::Counters;
use crate::comm::CommStats;
use crate::dealer::DealerStats;
use crate::party::ProtocolStats;
use crate::preprocessing::PreprocStats;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// One party's counters after its part of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PartyStats {
    /// The party's name.
    pub name: String,
    pub rounds: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub messages_sent: u64,
    /// Bytes of explicit dealer values this party received (party 0 only).
    pub dealer_bytes: u64,
    pub triples: u64,
    pub matrix_triples: u64,
    pub square_pairs: u64,
    pub trunc_pairs: u64,
    pub binary_triples: u64,
    pub random_bits: u64,
    /// Every opening of shares, masked protocol values included.
    pub openings: u64,
    pub opened_elements: u64,
    /// Elements compared (most-significant-bit extractions issued by the executor).
    pub comparisons: u64,
    pub private_ops: u64,
    /// The OT preprocessing's own time and traffic (`--preprocessing ot`; not in the above).
    pub preprocessing: Option<PreprocStats>,
}

impl PartyStats {
    pub fn new(
        name: String,
        comm: CommStats,
        dealer: DealerStats,
        protocol: ProtocolStats,
        counters: Counters,
    ) -> PartyStats {
        PartyStats {
            name,
            rounds: comm.rounds,
            bytes_sent: comm.bytes_sent,
            bytes_received: comm.bytes_received,
            messages_sent: comm.messages_sent,
            dealer_bytes: dealer.bytes_received,
            triples: dealer.triples,
            matrix_triples: dealer.matrix_triples,
            square_pairs: dealer.squares,
            trunc_pairs: dealer.trunc_pairs,
            binary_triples: dealer.binary_triples,
            random_bits: dealer.random_bits,
            openings: protocol.openings,
            opened_elements: protocol.opened_elements,
            comparisons: counters.comparisons,
            private_ops: counters.private_ops,
            preprocessing: None,
        }
    }
}

/// What one party's run reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PartyReport {
    pub stats: PartyStats,
    /// The program's openings, as this party saw them (identical on every party).
    pub audit: AuditLog,
    pub values_computed: u64,
    pub warnings: usize,
    pub files_written: Vec<PathBuf>,
    /// What each source span that communicated cost this party, in source order.
    #[serde(skip)]
    pub by_span: Vec<(mpcc_ir::Span, super::SpanCounts)>,
    pub wall_seconds: f64,
}

/// What a whole MPC run reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MpcReport {
    pub n_parties: usize,
    /// Fixed-point fractional bits.
    pub precision: u32,
    pub wall_seconds: f64,
    /// Communication rounds (the most any party took).
    pub rounds: u64,
    /// Per party, in rank order.
    pub parties: Vec<PartyStats>,
    /// Bytes the dealer sent (explicit values; seeds make the rest free).
    pub dealer_bytes: u64,
    /// `dealer` or `ot` (the two parties' own preprocessing).
    pub preprocessing: String,
    /// OT preprocessing: the longest any party spent on it (inside `wall_seconds`), and the
    /// bytes all parties sent for it (not in `parties[..].bytes_sent`).
    pub preprocessing_seconds: f64,
    pub preprocessing_bytes: u64,
    /// Correlated randomness used (as counted by party 0).
    pub triples: u64,
    pub matrix_triples: u64,
    pub square_pairs: u64,
    pub trunc_pairs: u64,
    pub binary_triples: u64,
    pub comparisons: u64,
    /// Every opening of shares (masked protocol values included), counted by party 0.
    pub openings: u64,
    pub audit: AuditLog,
    pub values_computed: u64,
    pub warnings: usize,
    pub files_written: Vec<PathBuf>,
    /// Per source span that communicated: rounds (the most any party took), bytes each party
    /// sent and the dealer's bytes, in source order (what `mpcc cost` predicts).
    #[serde(skip)]
    pub by_span: Vec<(mpcc_ir::Span, crate::cost::Cost)>,
}

impl MpcReport {
    /// Combines the parties' reports (in rank order) of one run.
    pub fn combine(parties: Vec<PartyReport>, precision: u32, wall: Duration) -> MpcReport {
        let first = parties.first().cloned().unwrap_or_default();
        let stats: Vec<PartyStats> = parties.iter().map(|p| p.stats.clone()).collect();
        let mut files: Vec<PathBuf> = Vec::new();
        for p in &parties {
            for f in &p.files_written {
                if !files.contains(f) {
                    files.push(f.clone());
                }
            }
        }
        let mut by_span: std::collections::BTreeMap<(u32, u32), crate::cost::Cost> = Default::default();
        for (rank, p) in parties.iter().enumerate() {
            for (span, c) in &p.by_span {
                let slot =
                    by_span.entry((span.start, span.end)).or_insert_with(|| crate::cost::Cost::zero(parties.len()));
                slot.rounds = slot.rounds.max(c.rounds);
                if let Some(b) = slot.bytes_sent.get_mut(rank) {
                    *b += c.bytes_sent;
                }
                slot.dealer_bytes += c.dealer_bytes;
            }
        }
        let by_span = by_span.into_iter().map(|((a, b), c)| (mpcc_ir::Span::new(a, b), c)).collect();
        MpcReport {
            by_span,
            n_parties: parties.len(),
            precision,
            wall_seconds: wall.as_secs_f64(),
            rounds: stats.iter().map(|s| s.rounds).max().unwrap_or(0),
            dealer_bytes: stats.iter().map(|s| s.dealer_bytes).sum(),
            preprocessing: if stats.iter().any(|s| s.preprocessing.is_some()) { "ot" } else { "dealer" }.to_string(),
            preprocessing_seconds: stats.iter().filter_map(|s| s.preprocessing).map(|p| p.seconds).fold(0.0, f64::max),
            preprocessing_bytes: stats.iter().filter_map(|s| s.preprocessing).map(|p| p.bytes_sent).sum(),
            triples: first.stats.triples,
            matrix_triples: first.stats.matrix_triples,
            square_pairs: first.stats.square_pairs,
            trunc_pairs: first.stats.trunc_pairs,
            binary_triples: first.stats.binary_triples,
            comparisons: first.stats.comparisons,
            openings: first.stats.openings,
            audit: first.audit,
            values_computed: first.values_computed,
            warnings: parties.iter().map(|p| p.warnings).sum(),
            files_written: files,
            parties: stats,
        }
    }

    /// The report for people (stderr), a few lines plus one per opening.
    pub fn render(&self) -> String {
        self.render_with(&|span| format!("{}..{}", span.start, span.end))
    }

    /// As [`MpcReport::render`], with `locate` turning an opening's span into text (`svm.mpc:27:1`).
    pub fn render_with(&self, locate: &dyn Fn(mpcc_ir::Span) -> String) -> String {
        let mut out = format!(
            "mpc: {} parties, {} fractional bits, {:.3} s, {} rounds\n",
            self.n_parties, self.precision, self.wall_seconds, self.rounds
        );
        let sent: Vec<String> =
            self.parties.iter().map(|p| format!("{} {}", p.name, bytes_text(p.bytes_sent))).collect();
        if self.preprocessing == "ot" {
            let pre: Vec<String> = self
                .parties
                .iter()
                .map(|p| format!("{} {}", p.name, bytes_text(p.preprocessing.map_or(0, |s| s.bytes_sent))))
                .collect();
            let transfers: u64 =
                self.parties.iter().filter_map(|p| p.preprocessing).map(|p| p.transfers).max().unwrap_or(0);
            out += &format!(
                "  preprocessing (OT, no dealer): {:.3} s, {transfers} OTs, sent: {}\n  online: {:.3} s, sent: {}\n",
                self.preprocessing_seconds,
                pre.join(", "),
                (self.wall_seconds - self.preprocessing_seconds).max(0.0),
                sent.join(", ")
            );
        } else {
            out += &format!("  sent: {}; dealer: {}\n", sent.join(", "), bytes_text(self.dealer_bytes));
        }
        out += &format!(
            "  used: {} triples, {} matrix triples, {} square pairs, {} truncation pairs, {} binary triples; {} elements compared; {} openings\n",
            self.triples,
            self.matrix_triples,
            self.square_pairs,
            self.trunc_pairs,
            self.binary_triples,
            self.comparisons,
            self.openings
        );
        out += &self.audit.render_with(locate);
        out
    }
}

/// `1234567` bytes as `1.2 MB`.
pub fn bytes_text(b: u64) -> String {
    let x = b as f64;
    if x >= 1e9 {
        format!("{:.2} GB", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} MB", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} kB", x / 1e3)
    } else {
        format!("{b} B")
    }
}

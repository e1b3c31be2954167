//! Simulated runs: N parties as N threads over in-process channels (`LocalComm`, counted by
//! `CountingComm`), with the dealer inline in party 0 or on its own thread.
//!
//! `simulate` runs one closure per party and returns each party's result and counters. The
//! protocol tests, the benchmark and (later) the IR executor use it. It opens nothing itself.

use crate::comm::{Comm, CommError, CommStats, CountingComm, LocalComm};
use crate::dealer::{spawn_dealer_thread, DealerClient, DealerLink, DealerStats, TrustedDealer};
use crate::fixed::FixedPoint;
use crate::mpc_error::MpcError;
use crate::party::{Party, ProtocolStats, Seeds};
use crate::preprocessing::{OtPreprocessor, PreprocStats, Preprocessing};
use crate::protocols::compare::CompareMode;

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub n_parties: usize,
    /// `Some` for a reproducible run; `None` seeds from OS entropy.
    pub seed: Option<u64>,
    pub fixed: FixedPoint,
    /// Keep a copy of every message sent (for leak tests).
    pub record: bool,
    /// Run the dealer on its own thread (instead of inline in party 0's thread).
    pub dealer_thread: bool,
    /// The comparison protocol (`None`: the default for the party count, see `Party::new`).
    pub compare: Option<CompareMode>,
    /// The trusted dealer, or (two parties) OT preprocessing between the parties.
    pub preprocessing: Preprocessing,
}

impl SimConfig {
    /// `n_parties` with a fixed seed, default precision, dealer inline, no recording.
    pub fn new(n_parties: usize, seed: Option<u64>) -> SimConfig {
        SimConfig {
            n_parties,
            seed,
            fixed: FixedPoint::default(),
            record: false,
            dealer_thread: false,
            compare: None,
            preprocessing: Preprocessing::Dealer,
        }
    }
}

/// One party's result and counters after a run.
#[derive(Debug)]
pub struct PartyReport<T> {
    pub output: T,
    pub comm: CommStats,
    pub dealer: DealerStats,
    pub protocol: ProtocolStats,
    pub recorded: Vec<(usize, Vec<u8>)>,
    /// Every message of the OT preprocessing this party sent (with `record` and OT only).
    pub preprocessing_recorded: Vec<(usize, Vec<u8>)>,
    pub preprocessing: Option<PreprocStats>,
}

/// Runs `f` on every party, each on its own thread, and returns the reports in party order.
/// If parties fail, the error returned is the first that is not a consequence of another party
/// hanging up.
pub fn simulate<T: Send>(
    cfg: &SimConfig,
    f: impl Fn(&mut Party) -> Result<T, MpcError> + Sync,
) -> Result<Vec<PartyReport<T>>, MpcError> {
    if cfg.n_parties < 2 {
        return Err(MpcError::Invalid {
            party: 0,
            op: "simulate",
            reason: format!("{} parties; at least 2 are needed", cfg.n_parties),
        });
    }
    if cfg.preprocessing == Preprocessing::Ot && cfg.n_parties != 2 {
        return Err(MpcError::Invalid {
            party: 0,
            op: "simulate",
            reason: format!("OT preprocessing runs between exactly 2 parties, not {}", cfg.n_parties),
        });
    }
    let seeds = Seeds::generate(cfg.n_parties, cfg.seed);
    let (link, peer, dealer_handle): (Box<dyn DealerLink>, Box<dyn DealerLink>, _) = if cfg.dealer_thread {
        let (link, peer, handle) = spawn_dealer_thread(&seeds.dealer);
        (Box::new(link), Box::new(peer), Some(handle))
    } else {
        let mut dealer = TrustedDealer::new(&seeds.dealer);
        let peer = dealer.peer_link();
        (Box::new(dealer), Box::new(peer), None)
    };
    let mut links = [Some(link), Some(peer)];
    let mut parties = Vec::with_capacity(cfg.n_parties);
    let mut ot_comms = crate::preprocessing::local_comms(cfg.n_parties, cfg.record).into_iter();
    for (i, (comm, ps)) in LocalComm::mesh(cfg.n_parties).into_iter().zip(&seeds.parties).enumerate() {
        let comm: Box<dyn Comm> =
            if cfg.record { Box::new(CountingComm::recording(comm)) } else { Box::new(CountingComm::new(comm)) };
        let client = if cfg.preprocessing == Preprocessing::Ot {
            let comm = ot_comms.next().ok_or(MpcError::PartyLost { party: i })?;
            DealerClient::from_ot(i, OtPreprocessor::new(comm, ps.own).map_err(MpcError::Dealer)?)
        } else {
            DealerClient::new(i, ps.dealer, links.get_mut(i).and_then(Option::take))
        };
        let mut party = Party::new(comm, ps, client, cfg.fixed);
        // DCF keys come from a dealer: OT preprocessing compares with the tree.
        let compare = if cfg.preprocessing == Preprocessing::Ot { Some(CompareMode::Tree) } else { cfg.compare };
        if let Some(mode) = compare {
            party.set_compare(mode);
        }
        parties.push(party);
    }
    let f = &f;
    let results: Vec<Result<PartyReport<T>, MpcError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parties
            .into_iter()
            .map(|mut party| {
                scope.spawn(move || {
                    let output = f(&mut party)?;
                    Ok(PartyReport {
                        output,
                        comm: party.comm_stats(),
                        dealer: party.dealer_stats(),
                        protocol: party.protocol_stats(),
                        recorded: party.recorded(),
                        preprocessing_recorded: party.preprocessing_recorded(),
                        preprocessing: party.preprocessing_stats(),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| h.join().unwrap_or(Err(MpcError::PartyLost { party: i })))
            .collect()
    });
    if let Some(h) = dealer_handle {
        let _ = h.join();
    }
    let mut first_err = None;
    let mut reports = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err(e) => {
                let secondary = matches!(e, MpcError::Comm(CommError::PeerHungUp { .. }));
                if first_err.as_ref().is_none_or(|(sec, _)| *sec && !secondary) {
                    first_err = Some((secondary, e));
                }
            }
        }
    }
    match first_err {
        Some((_, e)) => Err(e),
        None => Ok(reports),
    }
}

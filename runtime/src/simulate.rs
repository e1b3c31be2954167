//! Simulated runs: N parties as N threads over in-process channels (`LocalComm`, counted by
//! `CountingComm`), with the dealer inline in party 0 or on its own thread.
//!
//! `simulate` runs one closure per party and returns each party's result and counters; the
//! protocol tests and the benchmark use it. [`run_threads`] is the set-up it shares with the IR
//! executor's simulated run (`exec::mpc::run_mpc`). It opens nothing itself.

use crate::comm::{Comm, CommError, CommStats, CountingComm, LocalComm};
use crate::dealer::{spawn_dealer_thread, DealerClient, DealerError, DealerLink, DealerStats, TrustedDealer};
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

impl<T, E> PartyReport<Result<T, E>> {
    /// The report of a party whose work succeeded, or its error.
    fn into_result(self) -> Result<PartyReport<T>, E> {
        let PartyReport { output, comm, dealer, protocol, recorded, preprocessing_recorded, preprocessing } = self;
        Ok(PartyReport { output: output?, comm, dealer, protocol, recorded, preprocessing_recorded, preprocessing })
    }
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
    let ot = cfg.preprocessing == Preprocessing::Ot;
    if ot && cfg.n_parties != 2 {
        return Err(MpcError::Invalid {
            party: 0,
            op: "simulate",
            reason: format!("OT preprocessing runs between exactly 2 parties, not {}", cfg.n_parties),
        });
    }
    let comms = LocalComm::mesh(cfg.n_parties)
        .into_iter()
        .map(|c| {
            let comm: Box<dyn Comm> =
                if cfg.record { Box::new(CountingComm::recording(c)) } else { Box::new(CountingComm::new(c)) };
            comm
        })
        .collect();
    let setup = PartySetup {
        seed: cfg.seed,
        fixed: cfg.fixed,
        preprocessing: cfg.preprocessing,
        dealer_thread: cfg.dealer_thread,
        record: cfg.record,
        // DCF keys come from a dealer: OT preprocessing compares with the tree.
        compare: if ot { Some(CompareMode::Tree) } else { cfg.compare },
    };
    let results = run_threads(comms, &setup, &f).map_err(MpcError::Dealer)?;
    let hung_up = |e: &MpcError| matches!(e, MpcError::Comm(CommError::PeerHungUp { .. }));
    let mut first_err = None;
    let mut reports = Vec::with_capacity(results.len());
    for (i, r) in results.into_iter().enumerate() {
        match r.map(PartyReport::into_result) {
            Some(Ok(report)) => reports.push(report),
            Some(Err(e)) => keep_first_error(&mut first_err, e, hung_up),
            None => keep_first_error(&mut first_err, MpcError::PartyLost { party: i }, hung_up),
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// How [`run_threads`] sets up each party besides its transport.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartySetup {
    /// `Some` for a reproducible run; `None` seeds from OS entropy.
    pub seed: Option<u64>,
    pub fixed: FixedPoint,
    /// The trusted dealer, or (two parties, checked by the caller) OT preprocessing.
    pub preprocessing: Preprocessing,
    /// With the dealer: run it on its own thread (else inline in party 0's thread).
    pub dealer_thread: bool,
    /// With OT preprocessing: keep a copy of every preprocessing message.
    pub record: bool,
    /// The comparison protocol every party is set to (`None`: `Party::new`'s default).
    pub compare: Option<CompareMode>,
}

/// The one set-up of a simulated run (`simulate` and `exec::mpc::run_mpc`): a party per
/// transport of `comms` (rank order) with its seeds and its dealer client (the trusted dealer
/// inline in party 0 or on its own thread, or an OT preprocessing end over in-process channels),
/// `work` on each party on its own thread, the party dropped as soon as its work ends (so that
/// peers waiting on it stop too), every thread joined. Returns each party's output and end
/// state in rank order, `None` for a thread that panicked; an error only if an OT end cannot be
/// set up.
pub(crate) fn run_threads<T: Send>(
    comms: Vec<Box<dyn Comm>>,
    setup: &PartySetup,
    work: &(dyn Fn(&mut Party) -> T + Sync),
) -> Result<Vec<Option<PartyReport<T>>>, DealerError> {
    let n = comms.len();
    let seeds = Seeds::generate(n, setup.seed);
    let ot = setup.preprocessing == Preprocessing::Ot;
    let (links, dealer_handle): ([Option<Box<dyn DealerLink>>; 2], _) = if ot {
        ([None, None], None)
    } else if setup.dealer_thread {
        let (link, peer, handle) = spawn_dealer_thread(&seeds.dealer);
        ([Some(Box::new(link)), Some(Box::new(peer))], Some(handle))
    } else {
        let mut dealer = TrustedDealer::new(&seeds.dealer);
        let peer = dealer.peer_link();
        ([Some(Box::new(dealer)), Some(Box::new(peer))], None)
    };
    // Party 0's link to the dealer, and party 1's (the dealer pushes it the DCF keys' common parts).
    let mut links = links;
    let mut ot_comms = if ot { crate::preprocessing::local_comms(n, setup.record) } else { Vec::new() }.into_iter();
    let mut parties = Vec::with_capacity(n);
    for (i, (comm, ps)) in comms.into_iter().zip(&seeds.parties).enumerate() {
        let client = if ot {
            let ot_comm = ot_comms.next().ok_or_else(|| {
                DealerError::BadRequest(format!("OT preprocessing runs between exactly 2 parties, not {n}"))
            })?;
            DealerClient::from_ot(i, OtPreprocessor::new(ot_comm, ps.own)?)
        } else {
            DealerClient::new(i, ps.dealer, links.get_mut(i).and_then(Option::take))
        };
        let mut party = Party::new(comm, ps, client, setup.fixed);
        if let Some(mode) = setup.compare {
            party.set_compare(mode);
        }
        parties.push(party);
    }
    drop(links);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = parties
            .into_iter()
            .map(|mut party| {
                scope.spawn(move || {
                    let output = work(&mut party);
                    let report = PartyReport {
                        output,
                        comm: party.comm_stats(),
                        dealer: party.dealer_stats(),
                        protocol: party.protocol_stats(),
                        recorded: party.recorded(),
                        preprocessing_recorded: party.preprocessing_recorded(),
                        preprocessing: party.preprocessing_stats(),
                    };
                    // Hang up at once, so that peers waiting on this party stop too.
                    drop(party);
                    report
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    if let Some(h) = dealer_handle {
        let _ = h.join();
    }
    Ok(results)
}

/// Keeps in `first` the first error, unless it is `secondary` (a consequence of another party
/// hanging up) and `e` is not.
pub(crate) fn keep_first_error<E>(first: &mut Option<E>, e: E, secondary: impl Fn(&E) -> bool) {
    let replace = match first.as_ref() {
        None => true,
        Some(prev) => secondary(prev) && !secondary(&e),
    };
    if replace {
        *first = Some(e);
    }
}

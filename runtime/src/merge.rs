//! Protocols side by side: [`side_by_side`] runs several independent protocol calls at once and
//! sends their messages of the same round together, so `k` calls of `r_1 … r_k` rounds take
//! `max r_i` rounds instead of `Σ r_i`, with the same bytes.
//!
//! Each call runs over a *branch* of the party ([`Party::branch`]): generators forked from the
//! party's (in call order, the same on every party), and a transport and a dealer client that
//! hand every exchange and dealer request to the party's own, which are shared by the calls for
//! the duration. The first call runs on the caller's thread, the others on the threads of a
//! [`Pool`] kept by the caller. The calls advance in lockstep: the last call to block serves
//! everything the calls wait on and wakes them. It serves the dealer requests first, in call order
//! (so the dealer streams stay in step across parties); once every live call waits on an exchange,
//! it sends each peer the concatenation of the calls' messages to it in one exchange and splits
//! the replies by the lengths this party sent (an opening's messages are equally long on both
//! sides; a call that expects from a peer it does not send to is refused, and a reply whose total
//! length differs is malformed). A round with one live call passes through unchanged.
//!
//! The result is deterministic: which call waits on what depends only on the calls themselves,
//! and every decision above is made in call order.

use crate::comm::{Comm, CommError};
use crate::dealer::{DealerClient, DealerError, DealerProxy, Pending, Request};
use crate::mpc_error::MpcError;
use crate::party::{Party, ProtocolStats};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// What a call waits on.
enum Call {
    Begin(Request),
    Finish(Pending),
    Exchange { out: Vec<Option<Vec<u8>>>, expect: Vec<bool>, at_most: Option<usize> },
}

/// What one exchange gives a call: the message from each peer it expected.
type Exchanged = Result<Vec<Option<Vec<u8>>>, CommError>;

/// The answer to a [`Call`].
enum Reply {
    Begun(Result<Pending, DealerError>),
    Finished(Result<Vec<Vec<u64>>, DealerError>),
    Exchanged(Exchanged),
}

/// The state the calls share: the party's transport and dealer client, and who waits on what.
struct Core {
    comm: Box<dyn Comm>,
    dealer: DealerClient,
    waiting: Vec<Option<Call>>,
    replies: Vec<Option<Reply>>,
    /// Calls neither blocked nor ended.
    running: usize,
    /// Calls not ended.
    live: usize,
    stats: ProtocolStats,
    /// The first failure of the transport, the dealer or the rules; every call then stops.
    failed: Option<MpcError>,
}

struct Hub {
    core: Mutex<Core>,
    wake: Condvar,
}

fn lock(hub: &Hub) -> Option<MutexGuard<'_, Core>> {
    hub.core.lock().ok()
}

impl Hub {
    /// Blocks call `i` on `call` until it is served (serving everything itself if it is the last
    /// to block). `None` when the calls were stopped.
    fn ask(&self, i: usize, call: Call) -> Option<Reply> {
        let mut core = lock(self)?;
        if core.failed.is_some() {
            return None;
        }
        *core.waiting.get_mut(i)? = Some(call);
        core.running -= 1;
        if core.running == 0 {
            step(&mut core);
            self.wake.notify_all();
        }
        loop {
            if let Some(r) = core.replies.get_mut(i).and_then(Option::take) {
                return Some(r);
            }
            if core.failed.is_some() {
                // Running again, only to end.
                core.running += 1;
                return None;
            }
            core = self.wake.wait(core).ok()?;
        }
    }

    /// Call `i` has ended with `stats`.
    fn end(&self, stats: ProtocolStats) {
        let Some(mut core) = lock(self) else { return };
        core.stats.add(&stats);
        core.live -= 1;
        core.running -= 1;
        if core.running == 0 && core.live > 0 && core.failed.is_none() {
            step(&mut core);
        }
        self.wake.notify_all();
    }
}

/// Serves what the blocked calls wait on: their dealer requests (in call order) if any, else one
/// merged exchange.
fn step(core: &mut Core) {
    let Core { comm, dealer, waiting, replies, running, failed, .. } = core;
    let mut served = false;
    for (slot, reply) in waiting.iter_mut().zip(replies.iter_mut()) {
        match slot.take() {
            Some(Call::Begin(req)) => *reply = Some(Reply::Begun(dealer.begin(&req))),
            Some(Call::Finish(p)) => *reply = Some(Reply::Finished(dealer.finish(p))),
            other => {
                *slot = other;
                continue;
            }
        }
        *running += 1;
        served = true;
    }
    if served {
        return;
    }
    let waits: Vec<Wait> = waiting
        .iter_mut()
        .enumerate()
        .filter_map(|(index, slot)| match slot.take() {
            Some(Call::Exchange { out, expect, at_most }) => Some(Wait { index, out, expect, at_most }),
            _ => None,
        })
        .collect();
    if waits.is_empty() {
        *failed = Some(MpcError::Invalid { party: comm.party(), op: "merge", reason: "calls wait on nothing".into() });
        return;
    }
    match exchange(comm.as_mut(), waits) {
        Ok(done) => {
            for (index, got) in done {
                if let Some(r) = replies.get_mut(index) {
                    *r = Some(Reply::Exchanged(got));
                    *running += 1;
                }
            }
        }
        Err(e) => *failed = Some(e),
    }
}

/// The transport of a branch.
struct BranchComm {
    me: usize,
    n: usize,
    index: usize,
    hub: Arc<Hub>,
    at_most: Option<usize>,
}

/// The error a call sees when the calls were stopped (the cause is reported by `side_by_side`).
fn stopped(me: usize) -> CommError {
    CommError::PeerHungUp { peer: me }
}

impl Comm for BranchComm {
    fn party(&self) -> usize {
        self.me
    }
    fn n_parties(&self) -> usize {
        self.n
    }
    fn send(&mut self, to: usize, _msg: Vec<u8>) -> Result<(), CommError> {
        // Protocols communicate through exchanges only; a lone send cannot be merged.
        Err(CommError::NoSuchPeer { peer: to, me: self.me, n: self.n })
    }
    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        Err(CommError::NoSuchPeer { peer: from, me: self.me, n: self.n })
    }
    fn expect_at_most(&mut self, bytes: usize) {
        self.at_most = Some(bytes);
    }
    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        let call = Call::Exchange { out, expect: expect.to_vec(), at_most: self.at_most.take() };
        match self.hub.ask(self.index, call) {
            Some(Reply::Exchanged(r)) => r,
            _ => Err(stopped(self.me)),
        }
    }
}

/// The dealer client of a branch.
struct BranchDealer {
    index: usize,
    hub: Arc<Hub>,
}

impl DealerProxy for BranchDealer {
    fn begin(&mut self, req: &Request) -> Result<Pending, DealerError> {
        match self.hub.ask(self.index, Call::Begin(req.clone())) {
            Some(Reply::Begun(r)) => r,
            _ => Err(DealerError::Gone),
        }
    }
    fn finish(&mut self, pending: Pending) -> Result<Vec<Vec<u64>>, DealerError> {
        match self.hub.ask(self.index, Call::Finish(pending)) {
            Some(Reply::Finished(r)) => r,
            _ => Err(DealerError::Gone),
        }
    }
}

/// One protocol call to run side by side: a function of a branch of the party.
pub type Task<T> = Box<dyn FnOnce(&mut Party) -> T + Send + 'static>;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Worker threads for [`side_by_side`], started when first needed and kept (one per call after
/// the first of the largest batch so far), so a batch costs no thread start. They end when the
/// pool is dropped.
#[derive(Default)]
pub struct Pool {
    workers: Vec<Sender<Job>>,
}

impl Pool {
    /// Runs `job` on worker `i`, starting workers up to `i` first.
    fn run(&mut self, i: usize, job: Job) -> Result<(), MpcError> {
        let lost = || MpcError::PartyLost { party: usize::MAX };
        while self.workers.len() <= i {
            let (tx, rx) = channel::<Job>();
            std::thread::Builder::new()
                .name(format!("mpcc-merge-{}", self.workers.len()))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                })
                .map_err(|_| lost())?;
            self.workers.push(tx);
        }
        self.workers.get(i).ok_or_else(lost)?.send(job).map_err(|_| lost())
    }
}

/// Runs `task` over its branch and reports its end to the hub (also when it panics).
fn run_branch<T>(hub: &Hub, task: Task<T>, mut branch: Party) -> Option<T> {
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(&mut branch))).ok();
    if out.is_none() {
        if let Some(mut core) = lock(hub) {
            core.failed.get_or_insert(MpcError::Invalid {
                party: branch.id(),
                op: "merge",
                reason: "a protocol call of a merged round panicked".into(),
            });
        }
    }
    hub.end(branch.protocol_stats());
    out
}

/// Runs `tasks` side by side on `party` (see the module doc) and returns their results in order.
/// A task's result may itself be an error; the error here is the calls' shared one (the
/// transport or the dealer failed, a task panicked, or a task's messages do not fit the merging
/// rules). Returns once every task has ended, with the party's transport and dealer back.
pub fn side_by_side<T: Send + 'static>(
    party: &mut Party,
    pool: &mut Pool,
    tasks: Vec<Task<T>>,
) -> Result<Vec<T>, MpcError> {
    let k = tasks.len();
    let (me, n) = (party.id(), party.n_parties());
    // The party lends its transport and dealer client to the hub.
    // Read before the party's own client is lent to the hub (the branches ask the same).
    let dealt = party.dealer().dealt();
    let (comm, dealer) = party.swap_transport(Box::new(Lent { me, n }), DealerClient::new(me, [0; 32], None));
    let hub = Arc::new(Hub {
        core: Mutex::new(Core {
            comm,
            dealer,
            waiting: (0..k).map(|_| None).collect(),
            replies: (0..k).map(|_| None).collect(),
            running: k,
            live: k,
            stats: ProtocolStats::default(),
            failed: None,
        }),
        wake: Condvar::new(),
    });
    let (tx, rx) = channel::<(usize, Option<T>)>();
    let mut first = None;
    let mut sent = 0;
    for (index, task) in tasks.into_iter().enumerate() {
        // Branches are made in call order on every party (their generators fork in that order).
        let comm = BranchComm { me, n, index, hub: hub.clone(), at_most: None };
        let dealer = DealerClient::proxied(me, Box::new(BranchDealer { index, hub: hub.clone() }), dealt);
        let branch = party.branch(Box::new(comm), dealer);
        if index == 0 {
            first = Some((task, branch));
            continue;
        }
        let (hub2, tx) = (hub.clone(), tx.clone());
        let job: Job = Box::new(move || {
            let out = run_branch(&hub2, task, branch);
            // The hub is unwrapped once every task has reported: let go of it first.
            drop(hub2);
            let _ = tx.send((index, out));
        });
        match pool.run(index - 1, job) {
            Ok(()) => sent += 1,
            Err(e) => {
                // The call never starts: the others stop, and it counts as ended.
                fail(&hub, e);
                hub.end(ProtocolStats::default());
            }
        }
    }
    drop(tx);
    let mut results: Vec<Option<T>> = (0..k).map(|_| None).collect();
    if let Some((task, branch)) = first {
        if let Some(slot) = results.get_mut(0) {
            *slot = run_branch(&hub, task, branch);
        }
    }
    for _ in 0..sent {
        match rx.recv() {
            Ok((i, out)) => {
                if let Some(slot) = results.get_mut(i) {
                    *slot = out;
                }
            }
            Err(_) => break,
        }
    }
    // Every task has ended: the transport and the dealer go back to the party.
    let core = match Arc::try_unwrap(hub).ok().and_then(|h| h.core.into_inner().ok()) {
        Some(core) => core,
        None => return Err(MpcError::PartyLost { party: me }),
    };
    let Core { comm, dealer, stats, failed, .. } = core;
    drop(party.swap_transport(comm, dealer));
    party.absorb(stats);
    if let Some(e) = failed {
        return Err(e);
    }
    results.into_iter().map(|r| r.ok_or(MpcError::PartyLost { party: me })).collect()
}

fn fail(hub: &Hub, e: MpcError) {
    if let Some(mut core) = lock(hub) {
        core.failed.get_or_insert(e);
    }
    hub.wake.notify_all();
}

/// The party's transport while it is lent to the hub: refuses everything.
struct Lent {
    me: usize,
    n: usize,
}

impl Comm for Lent {
    fn party(&self) -> usize {
        self.me
    }
    fn n_parties(&self) -> usize {
        self.n
    }
    fn send(&mut self, _to: usize, _msg: Vec<u8>) -> Result<(), CommError> {
        Err(stopped(self.me))
    }
    fn recv(&mut self, _from: usize) -> Result<Vec<u8>, CommError> {
        Err(stopped(self.me))
    }
}

/// An exchange a call waits on.
struct Wait {
    index: usize,
    out: Vec<Option<Vec<u8>>>,
    expect: Vec<bool>,
    at_most: Option<usize>,
}

/// One round for every waiting call: their messages to each peer concatenated in call order, the
/// replies split by the lengths this party sent. One call alone passes through unchanged.
fn exchange(comm: &mut dyn Comm, mut waits: Vec<Wait>) -> Result<Vec<(usize, Exchanged)>, MpcError> {
    let (me, n) = (comm.party(), comm.n_parties());
    if waits.len() == 1 {
        let Some(w) = waits.pop() else { return Ok(Vec::new()) };
        if let Some(b) = w.at_most {
            comm.expect_at_most(b);
        }
        return Ok(vec![(w.index, comm.exchange(w.out, &w.expect))]);
    }
    for w in &waits {
        let one_sided = (0..n)
            .any(|p| p != me && w.out.get(p).is_some_and(Option::is_some) != w.expect.get(p).copied().unwrap_or(false));
        if one_sided || w.out.len() != n {
            return Err(MpcError::Invalid {
                party: me,
                op: "merge",
                reason: "a one-sided message cannot share a round".into(),
            });
        }
    }
    // Each peer's message: the first call's own buffer (moved, not copied), the others appended.
    let lens: Vec<Vec<Option<usize>>> =
        waits.iter().map(|w| w.out.iter().map(|m| m.as_ref().map(Vec::len)).collect()).collect();
    let mut merged: Vec<Option<Vec<u8>>> = vec![None; n];
    let mut expect = vec![false; n];
    let mut at_most = Some(0usize);
    for w in &mut waits {
        at_most = at_most.zip(w.at_most).map(|(a, b)| a + b);
        for (p, msg) in w.out.iter_mut().enumerate() {
            let (Some(msg), Some(slot), Some(e)) = (msg.take(), merged.get_mut(p), expect.get_mut(p)) else { continue };
            *e = true;
            match slot {
                Some(acc) => acc.extend_from_slice(&msg),
                None => *slot = Some(msg),
            }
        }
    }
    if let Some(total) = at_most {
        comm.expect_at_most(total);
    }
    let got = comm.exchange(merged, &expect)?;
    // Split each reply by the lengths this party sent, from the back (the first call keeps the
    // buffer, so one large first part and small others copies only the small ones). Symmetric
    // presence was checked above, so a call expects from `p` exactly when it sent to `p`.
    let k = waits.len();
    let mut replies: Vec<Vec<Option<Vec<u8>>>> = (0..k).map(|_| vec![None; n]).collect();
    for (p, msg) in got.into_iter().enumerate() {
        let Some(mut msg) = msg else { continue };
        let sent = |i: usize| lens.get(i).and_then(|l| l.get(p)).copied().flatten();
        let wanted: usize = (0..k).filter_map(sent).sum();
        if msg.len() != wanted || p == me {
            return Err(MpcError::Comm(CommError::Malformed {
                peer: p,
                source: crate::wire::WireError::Length { expected: wanted, got: msg.len() },
            }));
        }
        for i in (0..k).rev() {
            let Some(len) = sent(i) else { continue };
            let at = msg.len() - len;
            let part = if at == 0 { std::mem::take(&mut msg) } else { msg.split_off(at) };
            if let Some(slot) = replies.get_mut(i).and_then(|r| r.get_mut(p)) {
                *slot = Some(part);
            }
        }
    }
    Ok(waits.iter().zip(replies).map(|(w, r)| (w.index, Ok(r))).collect())
}

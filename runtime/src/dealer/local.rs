//! The in-process dealer on its own thread: party 0's `ThreadDealerLink` sends requests over a
//! channel and collects the explicit values in order (requests may be queued ahead); party 1's
//! `PushedLink` receives the values the dealer pushes to it (DCF correction words), in order. (`TrustedDealer` itself also implements
//! `DealerLink`, for running the dealer inline in party 0's thread.) No networking here.

use super::{DealerError, DealerLink, Request, TrustedDealer};
use crate::comm::local::recv_polling;
use std::sync::mpsc::{channel, Receiver, Sender};

/// The dealer thread's next reply, however long it takes (polled first, as the parties' rounds).
fn next(rx: &Receiver<Result<Vec<u64>, DealerError>>) -> Result<Vec<u64>, DealerError> {
    recv_polling(rx, None).map_err(|_| DealerError::Gone)?
}
use std::thread::JoinHandle;

/// Party 0's end of a dealer thread.
pub struct ThreadDealerLink {
    tx: Sender<Request>,
    rx: Receiver<Result<Vec<u64>, DealerError>>,
}

impl DealerLink for ThreadDealerLink {
    fn request(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
        self.tx.send(req.clone()).map_err(|_| DealerError::Gone)?;
        next(&self.rx)
    }

    fn submit(&mut self, req: &Request) -> Result<bool, DealerError> {
        self.tx.send(req.clone()).map_err(|_| DealerError::Gone)?;
        Ok(true)
    }

    fn collect(&mut self) -> Result<Vec<u64>, DealerError> {
        next(&self.rx)
    }
}

/// Party 1's end of an in-process dealer: the explicit values pushed to it, in request order.
pub struct PushedLink {
    rx: Receiver<Result<Vec<u64>, DealerError>>,
}

impl PushedLink {
    pub(super) fn new(rx: Receiver<Result<Vec<u64>, DealerError>>) -> PushedLink {
        PushedLink { rx }
    }
}

impl DealerLink for PushedLink {
    /// The values pushed for the next request with common parts (`req` is not sent: party 0
    /// asked for it).
    fn request(&mut self, _req: &Request) -> Result<Vec<u64>, DealerError> {
        next(&self.rx)
    }
}

/// Starts a dealer thread for the parties with dealer seeds `seeds`; returns party 0's link and
/// party 1's. The thread ends when party 0's link is dropped.
pub fn spawn_dealer_thread(seeds: &[[u8; 32]]) -> (ThreadDealerLink, PushedLink, JoinHandle<()>) {
    let mut dealer = TrustedDealer::new(seeds);
    let peer = dealer.peer_link();
    let (req_tx, req_rx) = channel::<Request>();
    let (resp_tx, resp_rx) = channel();
    let handle = std::thread::spawn(move || {
        while let Ok(req) = req_rx.recv() {
            if resp_tx.send(dealer.serve(&req)).is_err() {
                break;
            }
        }
    });
    (ThreadDealerLink { tx: req_tx, rx: resp_rx }, peer, handle)
}

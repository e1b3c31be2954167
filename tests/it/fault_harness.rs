//! Fault injection for networked runs, on loopback only: each run starts the dealer and 2 or 3
//! parties of `programs/svm.mpc` as `mpcc` processes, and one of them (a party or the dealer,
//! chosen at random) is killed, stopped (SIGSTOP), drips its bytes through a proxy, has garbage
//! spliced into its stream, presents a wrong certificate, or has strangers on the ports (a port
//! scan, a silent connection, junk bytes) before and while the mesh forms.
//!
//! A run passes if every process other than a killed or stopped victim either exits 0 with the
//! simulated engine's output, or exits with an error naming a peer and a phase, within
//! `--timeout` + 5 s of the fault; no process may panic or hang. Used by `faults.rs` (a reduced
//! campaign in `cargo test`) and by `examples/faults.rs` (the full one). Nothing here is part of
//! mpcc itself.

use mpcc_runtime::net::keygen;
use mpcc_runtime::net::local::free_ports;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What goes wrong in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Kill,
    Stall,
    Drip,
    Garbage,
    WrongCert,
    Strangers,
    /// No fault (to measure how long a run takes).
    Clean,
}

pub const FAULTS: [Fault; 6] =
    [Fault::Kill, Fault::Stall, Fault::Drip, Fault::Garbage, Fault::WrongCert, Fault::Strangers];

/// A small deterministic generator (splitmix64), so that a campaign is reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Where the campaign finds `mpcc`, the repository and its scratch folder.
pub struct Campaign {
    pub exe: PathBuf,
    pub repo: PathBuf,
    pub scratch: PathBuf,
    pub timeout: Duration,
    /// `(n, stdout of the simulated run)`.
    reference: BTreeMap<usize, String>,
    /// `(n, how long a clean networked run takes)`: kills and stalls happen within it.
    duration: BTreeMap<usize, Duration>,
}

/// How one run went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub run: usize,
    pub n: usize,
    pub fault: Fault,
    /// `DEALER` or the victim party's rank.
    pub victim: String,
    /// Every process exited 0 with the right output.
    pub completed: bool,
    /// From the fault (or the start, for faults at start-up) to the last exit of a process that
    /// was not killed or stopped.
    pub time_to_exit: Duration,
    /// What broke the rules (empty: the run passed).
    pub problems: Vec<String>,
    /// The error line of each process that failed, `NAME: error: …`.
    pub errors: Vec<String>,
}

const NAMES: [&str; 3] = ["ALICE", "BOB", "P2"];
const SEED: &str = "7";
const PHASES: [&str; 7] = ["connect", "TLS handshake", "handshake", "round ", "dealer request ", "shutdown", "setup"];

impl Campaign {
    pub fn new(exe: PathBuf, repo: PathBuf, scratch: PathBuf, timeout: Duration) -> Result<Campaign, String> {
        let _ = std::fs::remove_dir_all(&scratch);
        let mut reference = BTreeMap::new();
        for n in [2, 3] {
            let names: Vec<&str> = NAMES[..n].iter().copied().chain(["DEALER"]).collect();
            for (dir, _) in [("keys", 0), ("impostor", 1)] {
                for name in &names {
                    keygen(name, &scratch.join(format!("{dir}{n}"))).map_err(|e| e.to_string())?;
                }
            }
            let out = Command::new(&exe)
                .args(["run", "programs/svm.mpc", "--parties", &n.to_string(), "--seed", SEED])
                .args(["--set", "epochs=3", "--stats", "none", "--compare", compare_for(n)])
                .current_dir(&repo)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
            if !out.status.success() {
                return Err(format!("the simulated run failed: {}", String::from_utf8_lossy(&out.stderr)));
            }
            reference.insert(n, String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let mut campaign = Campaign { exe, repo, scratch, timeout, reference, duration: BTreeMap::new() };
        for n in [2, 3] {
            let clean = campaign.run_one(0, n, Fault::Clean, &mut Rng::new(0));
            if !clean.completed || !clean.problems.is_empty() {
                return Err(format!("a clean networked run of {n} parties failed: {clean:?}"));
            }
            campaign.duration.insert(n, clean.time_to_exit);
        }
        Ok(campaign)
    }

    /// Runs `count` runs from `seed`; fault kinds take turns, the rest is random.
    pub fn run_many(&self, count: usize, seed: u64, mut report: impl FnMut(&Outcome)) -> Vec<Outcome> {
        let mut rng = Rng::new(seed);
        (0..count)
            .map(|run| {
                let fault = FAULTS[run % FAULTS.len()];
                let n = 2 + (rng.below(2) as usize);
                let outcome = self.run_one(run, n, fault, &mut rng);
                report(&outcome);
                outcome
            })
            .collect()
    }

    fn run_one(&self, run: usize, n: usize, fault: Fault, rng: &mut Rng) -> Outcome {
        let victim = rng.below(n as u64 + 1) as usize; // n: the dealer
        let victim_name = if victim == n { "DEALER".to_string() } else { NAMES[victim].to_string() };
        let keys = self.scratch.join(format!("keys{n}"));
        let impostor = self.scratch.join(format!("impostor{n}"));
        let addrs = free_ports(n + 1).expect("free ports");
        let (peers, dealer) = (addrs[..n].to_vec(), addrs[n]);
        // Each process's view of the others' addresses; a proxy may stand in for one of them.
        let mut views: Vec<(Vec<SocketAddr>, SocketAddr)> = vec![(peers.clone(), dealer); n];
        let stop = Arc::new(AtomicBool::new(false));
        let mut helpers = Vec::new();
        if matches!(fault, Fault::Drip | Fault::Garbage) {
            // A link of the victim, with the victim's bytes passing through the proxy.
            let (client, server, victim_is_server): (usize, Option<usize>, bool) = if victim == n {
                (rng.below(n as u64) as usize, None, true)
            } else if victim > 0 && rng.below(2) == 0 {
                (rng.below(victim as u64) as usize, Some(victim), true)
            } else if victim + 1 < n && rng.below(2) == 0 {
                (victim, Some(victim + 1 + rng.below((n - victim - 1) as u64) as usize), false)
            } else {
                (victim, None, false)
            };
            let target = server.map_or(dealer, |s| peers[s]);
            let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
            let proxy_addr = listener.local_addr().expect("proxy address");
            match server {
                Some(s) => views[client].0[s] = proxy_addr,
                None => views[client].1 = proxy_addr,
            }
            let after = rng.below(30_000) as usize;
            let stop = stop.clone();
            let seed = rng.next();
            helpers
                .push(std::thread::spawn(move || proxy(listener, target, fault, after, victim_is_server, seed, &stop)));
        }
        let timeout = format!("{}", self.timeout.as_secs_f64());
        let mut children: Vec<(String, Child)> = Vec::new();
        let dealer_keys = if fault == Fault::WrongCert && victim == n { &impostor } else { &keys };
        let mut dealer_cmd = Command::new(&self.exe);
        dealer_cmd.args(["dealer", "--listen", &dealer.to_string(), "--name", "DEALER", "--timeout", &timeout]);
        dealer_cmd.arg("--keys").arg(dealer_keys).arg("--certs").arg(&keys).arg("--insecure-seed");
        children.push(("DEALER".to_string(), self.spawn(dealer_cmd)));
        for (rank, (view_peers, view_dealer)) in views.iter().enumerate() {
            let own_keys = if fault == Fault::WrongCert && victim == rank { &impostor } else { &keys };
            let list: Vec<String> = view_peers.iter().map(ToString::to_string).collect();
            let mut cmd = Command::new(&self.exe);
            cmd.args(["run", "programs/svm.mpc", "--party", &rank.to_string(), "--peers", &list.join(",")]);
            cmd.args(["--dealer", &view_dealer.to_string(), "--timeout", &timeout, "--seed", SEED, "--insecure-seed"]);
            cmd.args(["--set", "epochs=3", "--stats", "none", "--compare", compare_for(n)]);
            cmd.arg("--keys").arg(own_keys).arg("--certs").arg(&keys);
            children.push((NAMES[rank].to_string(), self.spawn(cmd)));
        }
        let start = Instant::now();
        let mut injected = start;
        // A victim that ended before its fault struck is judged like the others.
        let mut struck = false;
        let victim_index = if victim == n { 0 } else { victim + 1 };
        match fault {
            Fault::Kill | Fault::Stall => {
                let typical = self.duration.get(&n).copied().unwrap_or(Duration::from_millis(500));
                let wait = Duration::from_millis(rng.below(typical.as_millis() as u64));
                while start.elapsed() < wait && children.iter_mut().all(|(_, c)| matches!(c.try_wait(), Ok(None))) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                let child = &mut children[victim_index].1;
                injected = Instant::now();
                struck = matches!(child.try_wait(), Ok(None));
                if fault == Fault::Kill {
                    let _ = child.kill();
                } else {
                    let pid = child.id().to_string();
                    let _ = Command::new("kill").args(["-STOP", &pid]).stderr(Stdio::null()).status();
                }
            }
            Fault::Strangers => {
                let targets = addrs.clone();
                let stop = stop.clone();
                let delay = Duration::from_millis(rng.below(300));
                helpers.push(std::thread::spawn(move || strangers(&targets, delay, &stop)));
            }
            _ => {}
        }
        // Wait for every process; a stopped victim is killed once the others are done.
        let disabled = struck;
        let hard_stop = injected + self.timeout * 2 + Duration::from_secs(10);
        let mut codes: Vec<Option<Option<i32>>> = vec![None; children.len()];
        let mut last_exit = injected;
        loop {
            for (i, (_, child)) in children.iter_mut().enumerate() {
                if codes[i].is_none() {
                    if let Ok(Some(status)) = child.try_wait() {
                        codes[i] = Some(status.code());
                        if !(disabled && i == victim_index) {
                            last_exit = Instant::now();
                        }
                    }
                }
            }
            let others_done = codes.iter().enumerate().all(|(i, c)| c.is_some() || (disabled && i == victim_index));
            if others_done && codes[victim_index].is_none() {
                let _ = children[victim_index].1.kill();
            }
            if codes.iter().all(Option::is_some) || Instant::now() > hard_stop {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        let mut problems = Vec::new();
        let mut outputs = Vec::new();
        for (i, (name, mut child)) in children.into_iter().enumerate() {
            if codes[i].is_none() {
                problems.push(format!("{name} hung (killed after {:?})", hard_stop - injected));
                let _ = child.kill();
            }
            let _ = child.wait();
            let mut stdout = String::new();
            let mut stderr = String::new();
            if let Some(mut out) = child.stdout.take() {
                let _ = out.read_to_string(&mut stdout);
            }
            if let Some(mut err) = child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            outputs.push((name, codes[i].flatten(), stdout, stderr));
        }
        for h in helpers {
            let _ = h.join();
        }
        let time_to_exit = last_exit.saturating_duration_since(injected);
        if time_to_exit > self.timeout + Duration::from_secs(5) {
            problems.push(format!("the last process exited {time_to_exit:?} after the fault"));
        }
        let reference = &self.reference[&n];
        let mut completed = true;
        let mut errors = Vec::new();
        for (i, (name, code, stdout, stderr)) in outputs.iter().enumerate() {
            if stderr.contains("panicked") {
                problems.push(format!("{name} panicked: {stderr}"));
            }
            if disabled && i == victim_index {
                completed = false;
                continue;
            }
            if *code == Some(0) {
                if name != "DEALER" && !same_output(reference, stdout, name) {
                    problems.push(format!("{name} exited 0 with a wrong result:\n{stdout}\nexpected:\n{reference}"));
                }
                continue;
            }
            completed = false;
            let error = stderr.lines().rev().find(|l| l.starts_with("error:")).unwrap_or("");
            errors.push(format!("{name}: {error}"));
            let names_peer = error.contains("peer ") || error.contains("party ");
            let names_phase = PHASES.iter().any(|p| error.contains(p));
            if !(names_peer && names_phase) {
                problems.push(format!("{name} exited {code:?} without naming the peer and the phase: {stderr}"));
            }
        }
        Outcome { run, n, fault, victim: victim_name, completed, time_to_exit, problems, errors }
    }

    fn spawn(&self, mut cmd: Command) -> Child {
        cmd.current_dir(&self.repo).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.spawn().expect("mpcc starts")
    }
}

/// The party's stdout holds the simulated run's `print` lines and its own `output` lines.
fn same_output(reference: &str, stdout: &str, name: &str) -> bool {
    let own = format!("[{name}] ");
    let expected: Vec<String> =
        records(reference).into_iter().filter(|r| !r.starts_with("[") || r.starts_with(&own)).collect();
    records(stdout) == expected
}

/// The printed records: a line and the indented lines that continue it (a tensor wider than a
/// line, or of rank 2 or more, prints over several).
fn records(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match out.last_mut() {
            Some(last) if line.starts_with(' ') => {
                last.push('\n');
                last.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Forwards one connection at a time from `listener` to `target`; in the direction the victim
/// sends, after `after` bytes, drips (a byte every 150 ms) or splices in garbage.
fn proxy(
    listener: TcpListener,
    target: SocketAddr,
    fault: Fault,
    after: usize,
    victim_is_server: bool,
    seed: u64,
    stop: &AtomicBool,
) {
    let _ = listener.set_nonblocking(true);
    let mut pumps = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Ok((inbound, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let _ = inbound.set_nonblocking(false);
        let deadline = Instant::now() + Duration::from_secs(5);
        let outbound = loop {
            match TcpStream::connect(target) {
                Ok(s) => break Some(s),
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break None,
            }
        };
        let Some(outbound) = outbound else { continue };
        let (Ok(in2), Ok(out2)) = (inbound.try_clone(), outbound.try_clone()) else { continue };
        // Client → server is faulty when the victim is the client; server → client otherwise.
        let faulty_up = !victim_is_server;
        let stop_up = Arc::new(AtomicBool::new(false));
        for (from, to, faulty) in [(inbound, outbound, faulty_up), (out2, in2, !faulty_up)] {
            let fault = if faulty { Some(fault) } else { None };
            let stop_up = stop_up.clone();
            pumps.push(std::thread::spawn(move || pump(from, to, fault, after, seed, &stop_up)));
        }
    }
    for p in pumps {
        let _ = p.join();
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, fault: Option<Fault>, after: usize, seed: u64, _stop: &AtomicBool) {
    let mut rng = Rng::new(seed);
    let mut sent = 0usize;
    let mut buf = [0u8; 16 * 1024];
    let _ = from.set_read_timeout(Some(Duration::from_secs(60)));
    loop {
        let k = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => k,
        };
        let data = &buf[..k];
        let ok = match fault {
            Some(Fault::Drip) if sent + k > after => {
                let mut ok = true;
                for b in data {
                    std::thread::sleep(Duration::from_millis(150));
                    if to.write_all(&[*b]).is_err() {
                        ok = false;
                        break;
                    }
                }
                ok
            }
            Some(Fault::Garbage) if sent + k > after => {
                let junk: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
                let cut = after.saturating_sub(sent).min(k);
                to.write_all(&data[..cut]).is_ok() && to.write_all(&junk).is_ok() && to.write_all(&data[cut..]).is_ok()
            }
            _ => to.write_all(data).is_ok(),
        };
        sent += k;
        if !ok {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Strangers on every port: a silent connection (held until the run ends), a port scan (connect
/// and close) and junk bytes, each retried until the port listens.
fn strangers(targets: &[SocketAddr], delay: Duration, stop: &AtomicBool) {
    std::thread::sleep(delay);
    let mut held = Vec::new();
    for &addr in targets {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(silent) = TcpStream::connect(addr) {
                held.push(silent);
                let _ = TcpStream::connect(addr);
                if let Ok(mut junk) = TcpStream::connect(addr) {
                    let _ = junk.write_all(b"\x16\x03\x01\x00\x05hello junk \x00\xff");
                    held.push(junk);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The campaign's figures: runs, outcomes by fault kind, the longest time to exit, problems.
pub fn summary(outcomes: &[Outcome]) -> String {
    let mut by_kind: BTreeMap<Fault, (usize, usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let e = by_kind.entry(o.fault).or_default();
        e.0 += 1;
        if o.completed {
            e.1 += 1;
        } else {
            e.2 += 1;
        }
    }
    let mut text = format!("{} runs\n", outcomes.len());
    text += "| fault | runs | completed (right result) | failed cleanly |\n| --- | --- | --- | --- |\n";
    for (kind, (runs, ok, failed)) in &by_kind {
        text += &format!("| {kind:?} | {runs} | {ok} | {failed} |\n");
    }
    let max = outcomes.iter().map(|o| o.time_to_exit).max().unwrap_or_default();
    text += &format!("longest time from a fault to the last exit: {:.2} s\n", max.as_secs_f64());
    let bad: Vec<&Outcome> = outcomes.iter().filter(|o| !o.problems.is_empty()).collect();
    text += &format!("runs breaking the rules: {}\n", bad.len());
    for o in bad {
        text +=
            &format!("  run {} ({} parties, {:?} of {}): {}\n", o.run, o.n, o.fault, o.victim, o.problems.join("; "));
    }
    text
}

/// A scratch folder for a campaign.
pub fn scratch(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mpcc-faults-{tag}-{}", std::process::id()))
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The comparison protocol of every run of `n` parties, reference and networked alike (the
/// 1-round DCF with 2 parties, so that its dealer traffic is under fault too).
fn compare_for(n: usize) -> &'static str {
    if n == 2 {
        "fss"
    } else {
        "tree"
    }
}

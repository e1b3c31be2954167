//! `mpcc run prog.mpc --parties N --network`: [`run_local_network`] starts the dealer (none when
//! the parties preprocess by OT) and every party as child processes on loopback ports, with a
//! fresh key pair each (in a temporary folder), waits for them, and returns what each printed, or
//! an error naming every child that failed, with the end of its error output.
//!
//! The launcher picks the ports and writes the keys ([`LocalChild`] says where); the caller turns
//! that into each child's command line (the binary: `mpcc dealer …` and `mpcc run … --party I …`,
//! exactly as a user would type them in separate terminals). This file knows no command-line
//! flag. A child that outlives the others by more than the timeout is killed. It does not parse
//! programs or print anything.

use crate::net::error::{seconds, NetError};
use crate::net::keys::keygen;
use std::ffi::OsString;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to start.
#[derive(Clone, Debug)]
pub struct LocalNetSpec {
    /// The executable every child runs (`std::env::current_exe()` in the binary itself).
    pub exe: PathBuf,
    /// Party names by rank (the program's `parties` line); each gets a key pair.
    pub names: Vec<String>,
    /// Each child's own timeout: a child still running twice this long (plus a margin) after
    /// the first one ended is killed.
    pub timeout: Duration,
    /// Start a dealer at all (`false` for OT preprocessing: the parties only).
    pub dealer: bool,
}

/// One child to start, with what the launcher chose for it; the caller's `args` turns it into
/// the child's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalChild<'a> {
    /// The dealer, named `DEALER`, to listen on `listen`.
    Dealer {
        listen: SocketAddr,
        /// The folder of every key pair and certificate (the dealer's own and the parties').
        keys: &'a Path,
    },
    /// The party of rank `rank`.
    Party {
        rank: usize,
        /// Every party's address, by rank (its own included).
        peers: &'a [SocketAddr],
        /// The dealer's address, if there is a dealer.
        dealer: Option<SocketAddr>,
        /// The folder of every key pair and certificate.
        keys: &'a Path,
    },
}

/// How one child ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildOutcome {
    /// `DEALER` or a party name.
    pub name: String,
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ChildOutcome {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// A failed local network: every child that failed, dealer last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalNetError {
    pub message: String,
    pub failed: Vec<ChildOutcome>,
}

impl std::fmt::Display for LocalNetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        for child in &self.failed {
            let status = match child.code {
                Some(code) => format!("exit code {code}"),
                None => "killed".to_string(),
            };
            write!(f, "\n  {} ({status})", child.name)?;
            let tail: Vec<&str> = child.stderr.lines().rev().take(4).collect();
            for line in tail.into_iter().rev() {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for LocalNetError {}

/// `n` free loopback ports (bound to port 0, then released for the children to take).
pub fn free_ports(n: usize) -> Result<Vec<SocketAddr>, NetError> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::config(format!("cannot find a free loopback port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr())
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::config(format!("cannot find a free loopback port: {e}")))
}

struct Running {
    name: String,
    child: Child,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
    code: Option<Option<i32>>,
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

fn spawn(exe: &Path, name: &str, args: &[OsString]) -> Result<Running, LocalNetError> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| LocalNetError {
            message: format!("cannot start `{}` for {name}: {e}", exe.display()),
            failed: Vec::new(),
        })?;
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    match (out, err) {
        (Some(out), Some(err)) => Ok(Running { name: name.to_string(), child, out, err, code: None }),
        _ => {
            let _ = child.kill();
            Err(LocalNetError { message: format!("cannot capture the output of {name}"), failed: Vec::new() })
        }
    }
}

/// Starts the dealer and the parties, each with the arguments `args` gives for it, waits for all
/// of them, and returns their outcomes by rank (parties), or the failures.
pub fn run_local_network(
    spec: &LocalNetSpec,
    args: &dyn Fn(LocalChild<'_>) -> Vec<OsString>,
) -> Result<Vec<ChildOutcome>, LocalNetError> {
    let setup = |e: NetError| LocalNetError { message: e.to_string(), failed: Vec::new() };
    let n = spec.names.len();
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let keys = std::env::temp_dir().join(format!("mpcc-network-{}-{stamp}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keys);
    let dealer_names: &[&str] = if spec.dealer { &["DEALER"] } else { &[] };
    for name in spec.names.iter().map(String::as_str).chain(dealer_names.iter().copied()) {
        keygen(name, &keys).map_err(setup)?;
    }
    let addrs = free_ports(n + 1).map_err(setup)?;
    let Some((peers, &[dealer, ..])) = addrs.split_at_checked(n) else {
        return Err(setup(NetError::config(format!("found fewer than {} free ports", n + 1))));
    };
    let mut running = Vec::new();
    if spec.dealer {
        running.push(spawn(&spec.exe, "DEALER", &args(LocalChild::Dealer { listen: dealer, keys: &keys })));
    }
    for (rank, name) in spec.names.iter().enumerate() {
        let child = LocalChild::Party { rank, peers, dealer: spec.dealer.then_some(dealer), keys: &keys };
        running.push(spawn(&spec.exe, name, &args(child)));
    }
    let result = wait_all(running, spec.timeout, usize::from(spec.dealer));
    let _ = std::fs::remove_dir_all(&keys);
    result
}

/// Waits for every child; `skip` children (the dealer) come first and are left out of the result.
fn wait_all(
    started: Vec<Result<Running, LocalNetError>>,
    timeout: Duration,
    skip: usize,
) -> Result<Vec<ChildOutcome>, LocalNetError> {
    let mut running = Vec::new();
    let mut spawn_error = None;
    for r in started {
        match r {
            Ok(child) => running.push(child),
            Err(e) => spawn_error = spawn_error.or(Some(e)),
        }
    }
    if let Some(e) = spawn_error {
        for r in &mut running {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
        return Err(e);
    }
    // Children end on their own (each is bounded by its timeout); one that outlives the first
    // exit by more than twice the timeout (plus a margin) is killed.
    let mut first_exit: Option<Instant> = None;
    let mut killed = false;
    while running.iter().any(|r| r.code.is_none()) {
        for r in running.iter_mut().filter(|r| r.code.is_none()) {
            if let Ok(Some(status)) = r.child.try_wait() {
                r.code = Some(status.code());
                first_exit.get_or_insert_with(Instant::now);
            }
        }
        if first_exit.is_some_and(|t| t.elapsed() > 2 * timeout + Duration::from_secs(5)) {
            for r in running.iter_mut().filter(|r| r.code.is_none()) {
                let _ = r.child.kill();
                r.code = r.child.wait().ok().map(|s| s.code());
                killed = true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let outcomes: Vec<ChildOutcome> = running
        .into_iter()
        .map(|r| ChildOutcome {
            name: r.name,
            code: r.code.flatten(),
            stdout: r.out.join().unwrap_or_default(),
            stderr: r.err.join().unwrap_or_default(),
        })
        .collect();
    let mut failed: Vec<ChildOutcome> = outcomes.iter().filter(|c| !c.success()).cloned().collect();
    if failed.is_empty() {
        return Ok(outcomes.into_iter().skip(skip).collect());
    }
    // Parties first, the dealer last (its failure is usually a consequence).
    let dealer_first = usize::from(failed.first().is_some_and(|c| c.name == "DEALER"));
    failed.rotate_left(dealer_first);
    let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    let mut message = format!("the networked run failed ({} failed)", names.join(", "));
    if killed {
        message
            .push_str(&format!("; children still running {} after the first exit were killed", seconds(2 * timeout)));
    }
    Err(LocalNetError { message, failed })
}

//! End-to-end tests of the secret-shared executor (`run_mpc`, `run_party`): compiled programs run
//! with 2, 3 and 5 parties and compared to the plaintext engine; the audit log lists exactly the
//! program's openings; the protocols' own openings are masked; a private input's encoding never
//! crosses the wire; `programs/basics.mpc` and `programs/svm.mpc` match `--plaintext`.
//!
//! Tolerance: 1e-3 absolute for arithmetic at 16 fractional bits (each truncation errs by at
//! most 2^-16; the programs here chain a handful).

use mpcc_compiler::{compile, CompileOptions};
use mpcc_ir::{Op, Program, Stmt};
use mpcc_runtime::comm::{Comm, CommError, LocalComm};
use mpcc_runtime::dealer::{DealerClient, DealerLink, TrustedDealer};
use mpcc_runtime::exec::mpc::{run_mpc, run_mpc_recording, run_party};
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};
use mpcc_runtime::fixed::{encode_scaled, FixedPoint};
use mpcc_runtime::party::{Party, Seeds};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const TOL: f64 = 1e-3;

fn compile_src(src: &str, params: &[(&str, &str)]) -> Program {
    let options = CompileOptions { params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let compiled = compile(src, &options);
    match compiled.program {
        Some(p) => p,
        None => panic!("the test program does not compile: {:?}", compiled.diagnostics),
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-mpc-exec-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_npy(dir: &Path, name: &str, dims: &[usize], data: Vec<f64>) {
    let t = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims), data).expect("shape");
    mpcc_runtime::io::save(dir, name, &t).expect("write npy");
}

fn cfg(dir: &Path, n: usize, seed: u64) -> RunConfig {
    RunConfig { seed: Some(seed), ..RunConfig::with_dir(dir, n) }
}

/// Every number in an event's text, in order (prints and outputs are formatted tensors).
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .filter_map(|w| w.parse::<f64>().ok())
        .collect()
}

/// Asserts that two event streams agree: same kinds, parties and words, numbers within `tol`.
fn assert_events_close(plain: &[Event], mpc: &[Event], tol: f64, what: &str) {
    assert_eq!(plain.len(), mpc.len(), "{what}: event counts differ:\n{plain:?}\n{mpc:?}");
    for (p, m) in plain.iter().zip(mpc) {
        let (pt, mt) = match (p, m) {
            (Event::Print { text: a }, Event::Print { text: b }) => (a, b),
            (Event::Output { party: pa, text: a }, Event::Output { party: pb, text: b }) => {
                assert_eq!(pa, pb, "{what}: output to different parties");
                (a, b)
            }
            _ => panic!("{what}: different events {p:?} and {m:?}"),
        };
        let (pn, mn) = (numbers(pt), numbers(mt));
        assert_eq!(pn.len(), mn.len(), "{what}: `{pt}` vs `{mt}`");
        for (a, b) in pn.iter().zip(&mn) {
            assert!((a - b).abs() <= tol, "{what}: `{pt}` vs `{mt}` ({a} vs {b})");
        }
    }
}

const ARITH: &str = r#"
parties ALICE, BOB;
let x = private(src=ALICE, load("x.npy"));   // [2, 3]
let y = private(src=BOB, load("y.npy"));     // [2, 3]
let p = [[0.5, -1.25, 2.0], [3.0, 0.125, -0.75]];
print("add", reveal(x + y), reveal(x + 2), reveal(p - y));
print("mul", reveal(x * y), reveal(x * 3), reveal(x * p), reveal(square(y)));
print("div", reveal(x / 4), reveal(y / p));
print("matmul", reveal(x @ transpose(y)), reveal(p @ transpose(x)), reveal(x @ transpose(p)));
print("pow", reveal(pow(x, 3)), reveal(pow(y, 2)));
print("cmp", reveal(x < y), reveal(x >= 0.5), reveal(x == x), reveal(x != y));
print("frac", reveal(mean(x < y)), reveal((x < y) / 4), reveal(mean(x > 0, axis=0)), reveal((x <= y) * 0.25));
print("sel", reveal(where(x > y, x, y * 2)), reveal(relu(x)), reveal(abs(y)), reveal(sign(x)));
print("red", reveal(sum(x)), reveal(mean(y, axis=1)), reveal(max(x, axis=1)), reveal(min(y)));
print("arg", reveal(argmax(x, axis=1)), reveal(argmin(y, axis=0)), reveal(argmax(x, 1, one_hot=true)));
print("struct", reveal(x[0]), reveal(x[:, 1:3]), reveal(x[-1, -1]), reveal(flatten(y)));
print("cat", reveal(cat([x, y], axis=0)), reveal(stack([x, p], 1)), reveal(reshape(x, [3, 2])));
let z = zeros([2, 3]);
if x > y {
    z = x;
} else {
    z = y * 2;
}
print("if", reveal(z));
let t = one_hot(argmax(y, axis=1), 3);
print("nn", reveal(one_hot(argmin(x, axis=1), 3)), reveal(cross_entropy(p, t)), reveal(pow(x, 0)));
for i in 0..3 {
    z = z * 0.5 + x;
}
print("loop", reveal(z), shape(z));
output(max(x, axis=1), to=BOB);
output(x - y, to=ALICE);
"#;

fn arith_data(tag: &str) -> PathBuf {
    let dir = temp_dir(tag);
    write_npy(&dir, "x.npy", &[2, 3], vec![1.5, -2.25, 0.75, 3.5, 0.0, -1.0]);
    write_npy(&dir, "y.npy", &[2, 3], vec![-0.5, 2.0, 0.75, 1.25, -3.0, 2.5]);
    dir
}

#[test]
fn arithmetic_matches_plaintext_for_2_3_and_5_parties() {
    let dir = arith_data("arith");
    let program = compile_src(ARITH, &[]);
    let mut plain = VecSink::default();
    run_plain(&program, &RunConfig::with_dir(&dir, 5), &mut plain).expect("plaintext run");
    for n in [2, 3, 5] {
        let mut sink = VecSink::default();
        let report = run_mpc(&program, n, &cfg(&dir, n, 7), &mut sink).unwrap_or_else(|e| panic!("{n} parties: {e}"));
        assert_events_close(&plain.events, &sink.events, TOL, &format!("{n} parties"));
        assert_eq!(report.parties.len(), n);
        assert!(report.rounds > 0 && report.triples > 0 && report.comparisons > 0);
        assert!(report.parties.iter().all(|p| p.bytes_sent > 0));
        assert!(report.dealer_bytes > 0);
    }
}

/// The Reveal values and Output statements of a program, in program order.
fn openings(program: &Program) -> Vec<(String, String)> {
    fn walk(block: &mpcc_ir::Block, program: &Program, out: &mut Vec<(String, String)>) {
        for stmt in &block.0 {
            match stmt {
                Stmt::Eval(id) => {
                    if let Some(Op::Reveal(x)) = program.value(*id).map(|d| &d.op) {
                        out.push(("reveal".into(), x.to_string()));
                    }
                }
                Stmt::Output { value, .. } => out.push(("output".into(), value.to_string())),
                Stmt::If { then_block, else_block, .. } => {
                    walk(then_block, program, out);
                    walk(else_block, program, out);
                }
                Stmt::For { body, .. } => walk(body, program, out),
                Stmt::While { cond_block, body, .. } => {
                    walk(cond_block, program, out);
                    walk(body, program, out);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&program.body, program, &mut out);
    out
}

#[test]
fn the_audit_log_lists_exactly_the_programs_openings() {
    let dir = arith_data("audit");
    let program = compile_src(ARITH, &[]);
    let report = run_mpc(&program, 3, &cfg(&dir, 3, 11), &mut VecSink::default()).expect("run");
    let logged: Vec<(String, String)> =
        report.audit.entries.iter().map(|e| (e.kind.clone(), e.value.clone())).collect();
    assert_eq!(logged, openings(&program));
    let outputs: Vec<&str> =
        report.audit.entries.iter().filter(|e| e.kind == "output").map(|e| e.to.as_str()).collect();
    assert_eq!(outputs, vec!["BOB", "ALICE"]);
    assert!(report.audit.entries.iter().all(|e| e.times == 1 && e.span.end > e.span.start));
    let text = report.render();
    assert!(text.contains("opened: output") && text.contains("to BOB"), "{text}");
    let json = serde_json::to_string(&report).expect("json");
    assert!(json.contains("\"audit\"") && json.contains("\"rounds\""));
}

/// A transport that logs, per exchange, what this party sent (all-to-all openings send the same
/// bytes to every peer).
/// What one party sent in each exchange.
type ExchangeLog = Arc<Mutex<Vec<Option<Vec<u8>>>>>;

struct Logged {
    inner: LocalComm,
    log: ExchangeLog,
}

impl Comm for Logged {
    fn party(&self) -> usize {
        self.inner.party()
    }
    fn n_parties(&self) -> usize {
        self.inner.n_parties()
    }
    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError> {
        self.inner.send(to, msg)
    }
    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        self.inner.recv(from)
    }
    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        let sent = out.iter().flatten().next().cloned();
        if let Ok(mut log) = self.log.lock() {
            log.push(sent);
        }
        self.inner.exchange(out, expect)
    }
}

fn words(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect()
}

#[test]
fn only_reveal_and_output_open_values_the_rest_is_masked() {
    let src = r#"
parties ALICE, BOB, CAROL;
let x = private(src=ALICE, load("x.npy"));
let y = private(src=BOB, load("y.npy"));
let h = x * y + (x @ transpose(y));
let c = where(x < y, h, x - y);
let m = max(c * 3, axis=1);
print(reveal(m));
"#;
    let dir = temp_dir("masked");
    write_npy(&dir, "x.npy", &[2, 2], vec![1.5, -2.25, 3.5, 7.0]);
    write_npy(&dir, "y.npy", &[2, 2], vec![-0.5, 2.0, 1.25, -3.0]);
    let program = compile_src(src, &[]);
    let n = 3;
    // Build the parties by hand: run_party is the entry point the networked engine uses.
    let seeds = Seeds::generate(n, Some(5));
    let logs: Vec<ExchangeLog> = (0..n).map(|_| Arc::new(Mutex::new(Vec::new()))).collect();
    let mut dealer = Some(Box::new(TrustedDealer::new(&seeds.dealer)) as Box<dyn DealerLink>);
    let parties: Vec<Party> = LocalComm::mesh(n)
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let comm = Box::new(Logged { inner: c, log: logs[i].clone() });
            let client = DealerClient::new(i, seeds.parties[i].dealer, if i == 0 { dealer.take() } else { None });
            Party::new(comm, &seeds.parties[i], client, FixedPoint::default())
        })
        .collect();
    let config = cfg(&dir, n, 5);
    let reports: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = parties
            .into_iter()
            .map(|mut p| {
                let (program, config) = (&program, &config);
                s.spawn(move || run_party(program, &mut p, config, &mut VecSink::default()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("party thread")).collect()
    });
    for r in &reports {
        assert!(r.is_ok(), "{r:?}");
    }
    // Every secret intermediate, encoded: x, y, x*y, h, c, c*3 (at 16 bits).
    let enc = |v: f64| encode_scaled(v, 16).unwrap_or(0);
    let (xv, yv) = ([1.5, -2.25, 3.5, 7.0], [-0.5, 2.0, 1.25, -3.0]);
    let mut secrets: Vec<u64> = Vec::new();
    for i in 0..4 {
        secrets.extend([enc(xv[i]), enc(yv[i]), enc(xv[i] * yv[i]), enc(xv[i] - yv[i])]);
    }
    let logs: Vec<Vec<Option<Vec<u8>>>> =
        logs.iter().map(|l| l.lock().map(|v| v.clone()).unwrap_or_default()).collect();
    let rounds = logs[0].len();
    assert!(logs.iter().all(|l| l.len() == rounds), "parties took different exchanges");
    let mut revealed = 0;
    let mut checked = 0;
    for k in 0..rounds {
        let msgs: Vec<Vec<u64>> = logs.iter().filter_map(|l| l[k].as_deref().map(words)).collect();
        if msgs.len() < n || msgs.iter().any(|m| m.len() != msgs[0].len()) {
            continue;
        }
        let len = msgs[0].len();
        let sum: Vec<u64> = (0..len).map(|i| msgs.iter().fold(0u64, |a, m| a.wrapping_add(m[i]))).collect();
        let xor: Vec<u64> = (0..len).map(|i| msgs.iter().fold(0u64, |a, m| a ^ m[i])).collect();
        if k + 1 == rounds {
            // The last exchange is the program's reveal of `m`: the sum is the plaintext.
            let m = reports[0].as_ref().map(|r| r.audit.entries.len()).unwrap_or(0);
            assert_eq!(m, 1);
            assert_eq!(len, 2);
            revealed += 1;
            continue;
        }
        checked += 1;
        for w in sum.iter().chain(&xor) {
            assert!(!secrets.contains(w), "exchange {k} of {rounds} opens a secret unmasked");
        }
    }
    assert_eq!(revealed, 1);
    assert!(checked > 10, "only {checked} protocol openings were checked");
}

#[test]
fn a_private_input_never_crosses_the_wire() {
    let src = r#"
parties ALICE, BOB;
let x = private(src=ALICE, load("x.npy"));
let y = private(src=BOB, load("y.npy"));
let s = sum(x * y + relu(x - y), axis=1);
print(reveal(s));
"#;
    let dir = temp_dir("wire");
    let xs: Vec<f64> = (0..64).map(|i| 1.0 + i as f64 * 0.37).collect();
    let ys: Vec<f64> = (0..64).map(|i| 2.0 - i as f64 * 0.11).collect();
    write_npy(&dir, "x.npy", &[8, 8], xs.clone());
    write_npy(&dir, "y.npy", &[8, 8], ys);
    let program = compile_src(src, &[]);
    use mpcc_runtime::protocols::compare::CompareMode;
    let mut counts = Vec::new();
    // Merged rounds (the default) concatenate the messages of independent ops: check both.
    for (mode, merge) in
        [(CompareMode::Fss, false), (CompareMode::Tree, false), (CompareMode::Fss, true), (CompareMode::Tree, true)]
    {
        let config = RunConfig { compare: Some(mode), merge_rounds: merge, ..cfg(&dir, 2, 3) };
        let (report, recorded) = run_mpc_recording(&program, 2, &config, &mut VecSink::default()).expect("run");
        assert!(report.parties[0].bytes_sent > 0);
        // Messages are little-endian 64-bit words; look for x's encodings among them.
        let needles: Vec<u64> = xs.iter().map(|&v| encode_scaled(v, 16).unwrap_or(0)).collect();
        let mut messages = 0;
        for party in &recorded {
            for (_, msg) in party {
                messages += 1;
                let found = words(msg).into_iter().find(|w| needles.contains(w));
                assert_eq!(found, None, "an encoding of x is on the wire ({mode:?})");
            }
        }
        counts.push(messages);
    }
    // Both parties send in every round; relu takes 1 round with the DCF and 9 with the tree.
    assert!(counts[0] > 6, "{counts:?}");
    assert_eq!(counts[1] - counts[0], 2 * 8, "{counts:?}");
    // Merged, `x * y` shares its rounds with `relu(x - y)`: fewer messages in both modes.
    assert!(counts[2] < counts[0] && counts[3] < counts[1], "{counts:?}");
}

const APPROX: &str = r#"
parties ALICE, BOB;
let x = private(src=ALICE, load("x.npy"));   // [2, 3], in [-2.25, 3.5]
let v = private(src=BOB, load("v.npy"));     // [2, 3], in [0.5, 6]
print("exp", reveal(exp(x / 2)), "log", reveal(log(v)), "sqrt", reveal(sqrt(v)));
print("inv_sqrt", reveal(inv_sqrt(v)), "recip", reveal(reciprocal(v)), "div", reveal(x / v));
print("sigmoid", reveal(sigmoid(x)), "tanh", reveal(tanh(x)), "pow", reveal(pow(v, -2)));
print("softmax", reveal(softmax(x, axis=1)), "log_softmax", reveal(log_softmax(x, axis=1)));
let t = one_hot(argmax(v, axis=1), 3);
print("xent", reveal(cross_entropy(x, t)));
"#;

#[test]
fn approximations_through_the_executor_match_plaintext() {
    let dir = arith_data("approx");
    write_npy(&dir, "v.npy", &[2, 3], vec![0.5, 1.0, 2.5, 6.0, 0.75, 3.0]);
    let program = compile_src(APPROX, &[]);
    let mut plain = VecSink::default();
    run_plain(&program, &RunConfig::with_dir(&dir, 3), &mut plain).expect("plaintext run");
    for n in [2, 3] {
        let mut sink = VecSink::default();
        run_mpc(&program, n, &cfg(&dir, n, 4), &mut sink).unwrap_or_else(|e| panic!("{n} parties: {e}"));
        // The approximations' stated accuracy is about 1e-2 on these domains.
        assert_events_close(&plain.events, &sink.events, 2e-2, &format!("approx, {n} parties"));
    }
}

#[test]
fn a_shape_error_on_a_shared_file_names_the_file_and_its_party() {
    let src = r#"
parties ALICE, BOB;
let x = private(src=BOB, load("m.npy"));
let w = [[1.0, 2.0]];
print(reveal(w @ x));
"#;
    let dir = temp_dir("origin");
    write_npy(&dir, "m.npy", &[3, 2], vec![1.0; 6]);
    let program = compile_src(src, &[]);
    let err =
        run_mpc(&program, 2, &cfg(&dir, 2, 1), &mut VecSink::default()).expect_err("[1, 2] @ [3, 2] does not fit");
    assert_eq!(err.kind, mpcc_runtime::error::ErrorKind::Shape, "{err}");
    assert_eq!(err.party.as_deref(), Some("BOB"), "{err}");
    assert_eq!(err.file, Some(dir.join("m.npy")), "{err}");
    assert_eq!(err.expected_shape.as_deref(), Some("[2, ?]"), "{err}");
    assert!(err.span.is_some());
}

/// A max-pool and its gradient: the gradient reuses the forward pool's one-hot, so the run
/// compares each pooled element once (not twice), and still matches plaintext.
const POOL_GRAD: &str = r#"
parties ALICE, BOB;
let x = private(src=ALICE, load("img.npy"));
let w = private(src=BOB, load("w.npy"));
let m = max_pool2d(x * w, 2);
let loss = sum(square(flatten(m, 1)));
let g = grad(loss, [w]);
output(g, to=BOB);
print(reveal(loss));
"#;

#[test]
fn a_max_pool_gradient_reuses_the_forward_comparisons() {
    let dir = temp_dir("pool_grad");
    let img: Vec<f64> = (0..32).map(|i| ((i as f64) * 0.61).sin()).collect();
    write_npy(&dir, "img.npy", &[2, 1, 4, 4], img);
    write_npy(&dir, "w.npy", &[1, 1, 4, 4], (0..16).map(|i| 0.5 + (i as f64) * 0.05).collect());
    let program = compile_src(POOL_GRAD, &[]);
    let mut plain = VecSink::default();
    run_plain(&program, &RunConfig::with_dir(&dir, 2), &mut plain).expect("plaintext run");
    for n in [2, 3] {
        let mut sink = VecSink::default();
        let report = run_mpc(&program, n, &cfg(&dir, n, 11), &mut sink).unwrap_or_else(|e| panic!("{n} parties: {e}"));
        assert_events_close(&plain.events, &sink.events, TOL, &format!("{n} parties"));
        // The forward pool compares the 32 pooled elements; the gradient adds none.
        assert_eq!(report.comparisons, 32, "{n} parties");
    }
}

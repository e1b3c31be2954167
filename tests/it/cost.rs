//! The cost model (`mpcc cost`, `mpcc_runtime::cost`) against measured runs: for every
//! `tests/golden/accept/*.mpc`, with 2 parties (both comparison protocols) and with 3, the
//! model's rounds, bytes sent per party and dealer bytes must equal exactly what a simulated run
//! counts, in total and per source span (the runtime's per-span counters).

use crate::golden_run::scratch_copy;
use mpcc_runtime::cost::estimate;
use mpcc_runtime::exec::{run_mpc, RunConfig, VecSink};
use mpcc_runtime::protocols::compare::CompareMode;
use std::path::Path;

fn golden_programs() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/accept");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("golden folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mpc"))
        .collect();
    files.sort();
    files
}

#[test]
fn cost_model_equals_measured_runs_on_every_golden_program() {
    let mut failures = Vec::new();
    let mut exact = 0;
    for path in golden_programs() {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let src = std::fs::read_to_string(&path).expect("read");
        let Some(program) = crate::golden::compile_golden(&path, &src).0.program else {
            failures.push(format!("{name}: does not compile"));
            continue;
        };
        for (n, compare) in [(2, CompareMode::Fss), (2, CompareMode::Tree), (3, CompareMode::Tree)] {
            // The DCF is for 2 parties; a program naming 3 runs with 3 only.
            if n < program.parties.len() {
                continue;
            }
            let dir = scratch_copy(&format!("cost-{name}-{compare:?}"), n);
            let mut cfg = RunConfig::with_dir(&dir, n);
            cfg.seed = Some(5);
            cfg.compare = Some(compare);
            let predicted = match estimate(&program, n, &cfg) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name} ({n}, {compare:?}): the model failed: {e}"));
                    continue;
                }
            };
            let measured = match run_mpc(&program, n, &cfg, &mut VecSink::default()) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name} ({n}, {compare:?}): the run failed: {e}"));
                    continue;
                }
            };
            let sent: Vec<u64> = measured.parties.iter().map(|p| p.bytes_sent).collect();
            let got = (predicted.total.rounds, predicted.total.bytes_sent.clone(), predicted.total.dealer_bytes);
            let want = (measured.rounds, sent, measured.dealer_bytes);
            if got != want {
                failures.push(format!(
                    "{name} ({n} parties, {compare:?}): predicted (rounds, sent, dealer) {got:?}, measured {want:?}"
                ));
                continue;
            }
            // The correlated randomness, as party 0's dealer client counted it.
            let p0 = measured.parties.first().cloned().unwrap_or_default();
            let used = (
                p0.dealer_bytes,
                p0.triples,
                p0.matrix_triples,
                p0.square_pairs,
                p0.trunc_pairs,
                p0.random_bits,
                p0.binary_triples,
            );
            let needs = predicted.needs;
            let want_needs = (
                needs.bytes_received,
                needs.triples,
                needs.matrix_triples,
                needs.squares,
                needs.trunc_pairs,
                needs.random_bits,
                needs.binary_triples,
            );
            if used != want_needs {
                failures.push(format!(
                    "{name} ({n} parties, {compare:?}): predicted correlations {want_needs:?}, used {used:?}"
                ));
                continue;
            }
            if compare == CompareMode::Fss && (p0.comparisons == 0) != (needs.dcf_keys == 0) {
                failures.push(format!(
                    "{name} ({n}, fss): {} DCF keys predicted, {} comparisons",
                    needs.dcf_keys, p0.comparisons
                ));
                continue;
            }
            if predicted.by_span != measured.by_span {
                let diff: Vec<String> = predicted
                    .by_span
                    .iter()
                    .filter(|p| !measured.by_span.contains(p))
                    .map(|(s, c)| format!("  predicted at {}..{}: {c:?}", s.start, s.end))
                    .chain(
                        measured
                            .by_span
                            .iter()
                            .filter(|m| !predicted.by_span.contains(m))
                            .map(|(s, c)| format!("  measured at {}..{}: {c:?}", s.start, s.end)),
                    )
                    .collect();
                failures.push(format!("{name} ({n}, {compare:?}): per-span costs differ:\n{}", diff.join("\n")));
                continue;
            }
            let scheduled: u64 = predicted.schedule.iter().map(|(_, r)| r).sum();
            if scheduled != predicted.total.rounds {
                failures
                    .push(format!("{name} ({n}, {compare:?}): the schedule holds {scheduled} rounds, not the total"));
                continue;
            }
            let mut sum = mpcc_runtime::cost::Cost::zero(n);
            predicted.by_span.iter().for_each(|(_, c)| sum.add(c));
            if sum != predicted.total {
                failures.push(format!("{name} ({n}, {compare:?}): the per-span costs do not sum to the total"));
                continue;
            }
            exact += 1;
        }
    }
    assert!(failures.is_empty(), "{} exact; failures:\n{}", exact, failures.join("\n"));
    assert!(exact >= 60, "only {exact} configurations checked");
}

fn mpcc(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mpcc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the mpcc binary runs")
}

#[test]
fn cost_cli_prints_totals_the_estimate_and_lines() {
    let out = mpcc(&["cost", "programs/svm.mpc", "--parties", "2", "--rtt", "10", "--bandwidth", "100"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("cost_svm_2_parties", stdout);
}

#[test]
fn cost_cli_json_has_totals_and_lines_that_sum_to_them() {
    let out = mpcc(&["cost", "programs/svm.mpc", "--compare", "tree", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let lines = v["lines"].as_array().expect("lines");
    let rounds: u64 = lines.iter().filter_map(|l| l["rounds"].as_u64()).sum();
    let dealer: u64 = lines.iter().filter_map(|l| l["dealer_bytes"].as_u64()).sum();
    assert_eq!(Some(rounds), v["rounds"].as_u64());
    assert_eq!(Some(dealer), v["dealer_bytes"].as_u64());
    assert_eq!(v["compare"], "tree");
    assert!(v["estimate"]["seconds"].as_f64().is_some_and(|s| s > 0.0));
    // Usage errors exit with 2.
    assert_eq!(mpcc(&["cost", "programs/svm.mpc", "--parties", "3", "--compare", "fss"]).status.code(), Some(2));
    assert_eq!(mpcc(&["cost", "programs/svm.mpc", "--parties", "1"]).status.code(), Some(2));
}

/// Private inputs are read only as far as their headers: a features file cut after its header
/// costs the same.
#[test]
fn cost_reads_only_the_headers_of_private_inputs() {
    let dir = std::env::temp_dir().join(format!("mpcc-cost-headers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    for f in ["svm.mpc", "labels.npy", "test_x.npy", "test_y.npy"] {
        std::fs::copy(root.join(f), dir.join(f)).expect("copy");
    }
    let features = std::fs::read(root.join("features.npy")).expect("features");
    // Magic, version, a 2-byte header length, the header.
    let header_len = 10 + u16::from_le_bytes([features[8], features[9]]) as usize;
    std::fs::write(dir.join("features.npy"), &features[..header_len]).expect("write");
    let program = dir.join("svm.mpc").display().to_string();
    let full = mpcc(&["cost", "programs/svm.mpc", "--compare", "tree"]);
    let cut = mpcc(&["cost", &program, "--compare", "tree"]);
    assert_eq!(cut.status.code(), Some(0), "{}", String::from_utf8_lossy(&cut.stderr));
    let totals = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).lines().nth(1).map(str::to_string);
    assert_eq!(totals(&full), totals(&cut));
    // A secure run needs the data itself.
    let run = mpcc(&["run", &program, "--compare", "tree"]);
    assert_eq!(run.status.code(), Some(1));
}

/// A branch on a revealed value: the model follows the plaintext and says so.
#[test]
fn cost_says_when_it_followed_the_plaintext() {
    let out = mpcc(&["cost", "tests/golden/accept/labels_local_compute.mpc", "--parties", "3"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("note: a condition depends on a revealed value"), "{stdout}");
}

/// Ops and branches the golden programs do not reach (long softmax rows, division by public
/// tensors and powers of two, negative powers, public conditions, pooling gradients without a
/// forward pass to reuse, …) and 5 parties (three carry-save layers): predicted equals measured.
#[test]
fn cost_model_equals_measured_runs_beyond_the_golden_programs() {
    let src = r#"
parties ALICE, BOB;
let x = private(src=ALICE, randn([3, 70], seed=3));
let p = private(src=BOB, rand([3, 70], seed=4) + 0.5);
let s1 = softmax(x, axis=1);
let s2 = log_softmax(x, 1);
let s3 = softmax(x, axis=0);
let d = x / [[2.0], [3.0], [0.5]] + x / 4 + x / 3 + x / 0.001 + x / 1 + x / 5000000;
let pw = pow(p, -2) + pow(x, 5) + pow(x, 0) + sqrt(p) * inv_sqrt(p) + log(p);
let c = rand([3, 70], seed=5) > 0.5;
let w = where(c, x, p) + where(rand([3, 70], seed=6), x, 2) + where(x > p, 1, 0.5);
let mn = min(x, p) + max(x, 1) + (x == p) + (x != 1);
let cnt = mean(x > 0) + sum(x < p, 0)[1] + max(x) + min(x, axis=1)[0];
let labels = private(src=ALICE, [0, 2, 1]);
let oh = one_hot(labels, 3);
let pm = randn([4, 3], seed=7) @ x;
let pm2 = x @ randn([70, 4], seed=11) * 0.5;
let ce = cross_entropy(randn([3, 3], seed=8), oh) + cross_entropy(x[:, 0:3], one_hot([1, 1, 0], 3));
let img = private(src=ALICE, randn([1, 2, 6, 6], seed=9));
let k = randn([3, 2, 3, 3], seed=10);
let cv = conv2d(img, k, padding=1);
let ap = avg_pool2d(cv, 2);
let mp = max_pool2d(cv, 3, stride=3);
let am = argmin(x, axis=0) + argmax(x);
let e = exp(x[0]) + sigmoid(x[1]) + tanh(x[2]) + abs(x) [0] + sign(x)[1] + square(x)[2];
let loc = private(src=ALICE, load("data/a.npy") * 2 - 1);
let both = loc + private(src=BOB, sum(load("data/b.npy"), 0));
let cat2 = cat([x[0:2, 0:3], loc, zeros([2, 3])], 0) + 0;
let st = stack([loc, loc * 2], 1);
let (gk,) = (grad(sum(ap) + sum(mp * mp), [k]),);
print(reveal(s1[0, 0]), reveal(s2[0, 0]), reveal(s3[0, 0]), reveal(d[0, 0]), reveal(pw[0, 0]), reveal(w[0, 0]));
print(reveal(mn[0, 0]), reveal(cnt), reveal(oh), reveal(pm[0, 0] + pm2[0, 0]), reveal(ce), reveal(am[0]), reveal(e[0]));
print(reveal(both), reveal(cat2), reveal(st), reveal(gk[0, 0, 0, 0]));
output(x[0, 0:2], to=BOB);
"#;
    let compiled = mpcc_compiler::compile(src, &mpcc_compiler::CompileOptions::default());
    let Some(program) = compiled.program else {
        panic!("does not compile: {:?}", compiled.diagnostics);
    };
    for (n, compare) in [(2, CompareMode::Fss), (2, CompareMode::Tree), (3, CompareMode::Tree), (5, CompareMode::Tree)]
    {
        let dir = scratch_copy(&format!("cost-extra-{compare:?}"), n);
        let mut cfg = RunConfig::with_dir(&dir, n);
        cfg.seed = Some(5);
        cfg.compare = Some(compare);
        let predicted = estimate(&program, n, &cfg).expect("the model");
        let measured = run_mpc(&program, n, &cfg, &mut VecSink::default()).expect("the run");
        let sent: Vec<u64> = measured.parties.iter().map(|p| p.bytes_sent).collect();
        assert_eq!(
            (predicted.total.rounds, predicted.total.bytes_sent.clone(), predicted.total.dealer_bytes),
            (measured.rounds, sent, measured.dealer_bytes),
            "{n} parties, {compare:?}"
        );
        for ((sp, p), (sm, m)) in predicted.by_span.iter().zip(&measured.by_span) {
            assert_eq!(
                (sp, p),
                (sm, m),
                "{n} parties, {compare:?}: at {:?}",
                &src.get(sp.start as usize..sp.end as usize)
            );
        }
        assert_eq!(predicted.by_span.len(), measured.by_span.len());
    }
}

#[test]
fn cost_schedule_folds_the_training_loop() {
    let out = mpcc(&["cost", "programs/svm.mpc", "--parties", "2", "--compare", "tree", "--schedule"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The heading's total is the report's, and the 50 epochs fold into one repeated block.
    // Lines 16 and 17 (the gradients of w and b) run side by side and line 15's product is
    // truncated once with its `* 0.5`, and the gradient product's with `lr * … / n`: 15 rounds per
    // epoch, not 18; the two inputs' shapes travel in one round.
    assert!(stdout.contains("  763 rounds; sent"), "{stdout}");
    assert!(stdout.contains("schedule: 763 rounds in the order they happen"), "{stdout}");
    assert!(stdout.contains("(side by side with :23)"), "{stdout}");
    assert!(stdout.contains("49 × { (15 rounds each)"), "{stdout}");
    assert!(stdout.contains("programs/svm.mpc:16"), "{stdout}");
    assert!(stdout.contains("(side by side with :17)"), "{stdout}");
    // With the dealer folds (off by default with the tree): from the third epoch on, x's mask is
    // kept and line 15's truncation is opened with the gradient product's own opening
    // (`fused_matmul`): 14 rounds per epoch.
    let out = mpcc(&[
        "cost",
        "programs/svm.mpc",
        "--parties",
        "2",
        "--compare",
        "tree",
        "--schedule",
        "--dealer-folds",
        "on",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("  715 rounds; sent"), "{stdout}");
    assert!(stdout.contains("2 × { (15 rounds each)") && stdout.contains("47 × { (14 rounds each)"), "{stdout}");
    // Without merging, the rounds add up as before (the division by n takes one division pair
    // either way).
    let out = mpcc(&["cost", "programs/svm.mpc", "--parties", "2", "--compare", "tree", "--schedule", "--no-merge"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("  914 rounds; sent"), "{stdout}");
    assert!(stdout.contains("49 × { (18 rounds each)"), "{stdout}");
    assert!(!stdout.contains("side by side"), "{stdout}");
}

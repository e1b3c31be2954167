//! The issue's composite workloads for `mpcc bench`, on generated data of CrypTen's shapes (so
//! they run without CrypTen and without a data download): an MLP 784-128-128-10 forward on a
//! batch of 100, and one training epoch of 784-128-2 on 100 examples split 560/224 between the
//! parties, batch 10 (CrypTen's tutorial 7, `../shared/crypten/bench_train.py`).

use super::engine::{program_bench, BenchRow};
use super::Want;
use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::exec::RunConfig;
use mpcc_runtime::plain::Tensor;
use mpcc_runtime::protocols::compare::CompareMode;
use std::path::Path;

const MLP: &str = r#"parties ALICE, BOB;
let w1 = private(src=ALICE, load("w1.npy"));
let b1 = private(src=ALICE, load("b1.npy"));
let w2 = private(src=ALICE, load("w2.npy"));
let b2 = private(src=ALICE, load("b2.npy"));
let w3 = private(src=ALICE, load("w3.npy"));
let b3 = private(src=ALICE, load("b3.npy"));
let x = private(src=BOB, load("x.npy"));
let logits = relu(relu(x @ w1 + b1) @ w2 + b2) @ w3 + b3;
output(logits, to=BOB);
"#;

const TRAIN: &str = r#"parties ALICE, BOB;
let x = cat([private(src=ALICE, load("top.npy")), private(src=BOB, load("bottom.npy"))], 1);
let y = private(src=ALICE, load("y.npy"));
let w1 = randn([784, 128], seed=1) * 0.05;
let b1 = zeros([128]);
let w2 = randn([128, 2], seed=2) * 0.1;
let b2 = zeros([2]);
for i in 0..10 {
    let xb = x[i * 10:(i + 1) * 10];
    let yb = y[i * 10:(i + 1) * 10];
    let loss = cross_entropy(relu(xb @ w1 + b1) @ w2 + b2, yb);
    let (gw1, gb1, gw2, gb2) = grad(loss, [w1, b1, w2, b2]);
    w1 -= 0.001 * gw1;
    b1 -= 0.001 * gb1;
    w2 -= 0.001 * gw2;
    b2 -= 0.001 * gb2;
}
output(w2, to=ALICE);
"#;

/// `(rand(shape, seed) - offset) · scale`, the language's own seeded uniform numbers: the data
/// only has to have the right shapes and ranges.
fn uniform(shape: &[usize], seed: u64, scale: f64, offset: f64) -> Result<Tensor, String> {
    let t = mpcc_runtime::plain::construct::rand(shape, seed).map_err(|e| e.to_string())?;
    Ok(t.mapv(|v| (v - offset) * scale))
}

fn write(dir: &Path, files: &[(&str, Tensor)]) -> Result<(), String> {
    for (name, t) in files {
        mpcc_runtime::io::save(dir, name, t).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Both workloads' rows, each the fastest of `reps` (at most 3), with `parties` parties.
pub fn workload_rows(parties: usize, reps: usize, want: Want<'_>) -> Result<Vec<BenchRow>, String> {
    // Both comparison protocols where both run (2 parties): one trades rounds for time.
    let modes: &[CompareMode] =
        if parties == 2 { &[CompareMode::Tree, CompareMode::Fss] } else { &[CompareMode::Tree] };
    let mut names = Vec::new();
    for (name, src) in [
        ("MLP 784-128-128-10 forward, batch 100", MLP),
        ("training 784-128-2, 100 examples, batch 10, one epoch", TRAIN),
    ] {
        for &mode in modes {
            names.push((format!("{name} (--compare {})", mode.name()), src, mode));
        }
    }
    if !names.iter().any(|(name, ..)| want.row(name)) {
        return Ok(Vec::new());
    }
    let dir = std::env::temp_dir().join(format!("mpcc-bench-workloads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (w, half) = (0.1, 0.5);
    let labels = uniform(&[100], 11, 1.0, 0.0)?;
    let one_hot = Tensor::from_shape_fn(ndarray::IxDyn(&[100, 2]), |ix| {
        let class = labels.get(ndarray::IxDyn(&[ix[0]])).map_or(0, |v| usize::from(*v >= 0.5));
        f64::from(u8::from(class == ix[1]))
    });
    write(
        &dir,
        &[
            ("w1.npy", uniform(&[784, 128], 1, w, half)?),
            ("b1.npy", uniform(&[128], 2, w, half)?),
            ("w2.npy", uniform(&[128, 128], 3, w, half)?),
            ("b2.npy", uniform(&[128], 4, w, half)?),
            ("w3.npy", uniform(&[128, 10], 5, w, half)?),
            ("b3.npy", uniform(&[10], 6, w, half)?),
            ("x.npy", uniform(&[100, 784], 7, 1.0, 0.0)?),
            ("top.npy", uniform(&[100, 560], 8, 1.0, 0.0)?),
            ("bottom.npy", uniform(&[100, 224], 9, 1.0, 0.0)?),
            ("y.npy", one_hot),
        ],
    )?;
    let mut rows = Vec::new();
    for (name, src, mode) in names.into_iter().filter(|(name, ..)| want.row(name)) {
        let compiled = compile(src, &CompileOptions::default());
        let program = compiled.program.ok_or_else(|| format!("the {name} program does not compile"))?;
        let cfg = RunConfig { seed: Some(1), compare: Some(mode), ..RunConfig::with_dir(&dir, parties.max(2)) };
        rows.push(program_bench(&name, &program, &cfg, parties, reps.min(3)).map_err(|e| e.to_string())?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workloads_run_within_the_issues_round_targets() {
        let rows = workload_rows(2, 1, Want(None)).expect("both workloads run");
        assert_eq!(rows.len(), 4);
        // MLP forward ≤ 10 rounds, training epoch ≤ 600 (issue 15), with the DCF.
        assert!(rows[1].op.contains("fss") && rows[1].rounds <= 10, "MLP forward: {} rounds", rows[1].rounds);
        assert!(rows[3].op.contains("fss") && rows[3].rounds <= 600, "training epoch: {} rounds", rows[3].rounds);
        // The carry tree takes more rounds for the same programs.
        assert!(rows[0].rounds > rows[1].rounds && rows[2].rounds > rows[3].rounds);
        assert!(rows.iter().all(|r| r.error.is_none() && r.bytes_per_party > 0));
    }
}

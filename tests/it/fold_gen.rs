//! Generated programs for the comparison folds (`mpcc_ir::fold`: `Pair`, `Lazy`, `Select`,
//! `Compare`): straight-line programs over private vectors that compare sums of products, take
//! signs and relus, select with `where` and multiply by comparisons, some values used once (folded) and
//! some twice (not). Each runs merged and unmerged, with the DCF and with the carry tree, for 2
//! and 3 parties, against the plaintext engine, with the cost model's rounds and dealer bytes
//! equal to the run's.

use crate::ni_gen::Rng;
use crate::schedule::merged_and_unmerged;
use crate::support::compile_clean;
use mpcc_ir::fold::{plan, Fold};
use mpcc_runtime::cost::estimate;
use mpcc_runtime::exec::{run_mpc, RunConfig, VecSink};
use mpcc_runtime::protocols::compare::CompareMode;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// A vector of 6 multiples of 1/8 in [-3, 3] (products are multiples of 1/64; every compared
/// sum adds 0.003, so none is within a truncation's unit of 0 and signs agree with plaintext).
fn vector(rng: &mut Rng) -> String {
    let v: Vec<String> = (0..6).map(|_| format!("{}", (rng.below(49) as f64 - 24.0) / 8.0)).collect();
    format!("[{}]", v.join(", "))
}

fn pick(rng: &mut Rng) -> &'static str {
    NAMES[rng.below(NAMES.len())]
}

/// One program of `lines` statements.
fn program(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut src = String::from("parties A, B;\n");
    for (i, name) in NAMES.iter().enumerate() {
        let owner = if i % 2 == 0 { "A" } else { "B" };
        src.push_str(&format!("let {name} = private(src={owner}, {});\n", vector(&mut rng)));
    }
    let mut shown = Vec::new();
    for k in 0..2 + rng.below(4) {
        let (x, y, z, w) = (pick(&mut rng), pick(&mut rng), pick(&mut rng), pick(&mut rng));
        // A sum of a product and a ready value, away from 0.
        let sum = match rng.below(4) {
            0 => format!("{x} * {y} + ({z} + 0.003)"),
            1 => format!("({z} + 0.003) - {x} * {y}"),
            2 => format!("{x} * {y} - ({z} - 0.003)"),
            _ => format!("{z} + 0.003"),
        };
        let cmp = match rng.below(5) {
            0 => format!("sign(t{k})"),
            1 => format!("(t{k} < 0)"),
            2 => format!("(t{k} >= 0)"),
            3 => format!("(0 > t{k})"),
            _ => format!("(t{k} <= 0)"),
        };
        src.push_str(&format!("let t{k} = {sum};\n"));
        let line = match rng.below(5) {
            4 => format!("let r{k} = relu(t{k});\n"),
            0 => format!("let r{k} = {cmp} * {w};\n"),
            1 => format!("let r{k} = where({cmp}, {w}, {x});\n"),
            2 => format!("let r{k} = {cmp};\n"),
            // The comparison used twice: not folded into a product.
            _ => format!("let m{k} = {cmp};\nlet r{k} = m{k} * {w} + m{k};\n"),
        };
        src.push_str(&line);
        // Sometimes the sum is read again (then it is not a pair).
        if rng.below(4) == 0 {
            shown.push(format!("t{k}"));
        }
        shown.push(format!("r{k}"));
    }
    let reveals: Vec<String> = shown.iter().map(|v| format!("reveal({v})")).collect();
    src.push_str(&format!("print({});\n", reveals.join(", ")));
    src
}

#[test]
fn generated_comparisons_of_sums_of_products_fold_with_the_same_values() {
    let (mut pairs, mut selects, mut compares, mut saved) = (0, 0, 0, 0);
    let cases = [(2, Some(CompareMode::Fss)), (2, Some(CompareMode::Tree)), (3, Some(CompareMode::Tree))];
    for seed in 0..60u64 {
        let src = program(seed);
        let program = compile_clean(&src, &[]);
        let folds = plan(&program, true, true, true);
        pairs += folds.iter().filter(|f| **f == Fold::Pair).count();
        selects += folds.iter().filter(|f| matches!(f, Fold::Select { .. })).count();
        compares += folds.iter().filter(|f| matches!(f, Fold::Compare { .. })).count();
        // Values against plaintext and the model's rounds, merged and unmerged.
        let rounds = merged_and_unmerged(&program, &cases, seed);
        for r in &rounds {
            assert!(r[0] <= r[1], "seed {seed}: {rounds:?}\n{src}");
        }
        saved += rounds[0][1] - rounds[0][0];
        // The model's dealer bytes too, with the DCF.
        let cfg = RunConfig { seed: Some(seed), compare: Some(CompareMode::Fss), ..RunConfig::default() };
        let report = run_mpc(&program, 2, &cfg, &mut VecSink::default()).expect("the run");
        let model = estimate(&program, 2, &cfg).expect("the model");
        assert_eq!(model.total.dealer_bytes, report.dealer_bytes, "seed {seed}\n{src}");
        assert_eq!(model.total.rounds, report.rounds, "seed {seed}\n{src}");
    }
    eprintln!("60 programs: {pairs} pairs, {selects} selects, {compares} comparisons of pairs; {saved} rounds saved");
    assert!(pairs >= 60 && selects >= 30 && compares >= 20, "{pairs} pairs, {selects} selects, {compares} compares");
    assert!(saved >= 60, "only {saved} rounds saved");
}

#[test]
fn a_raw_gradient_feeds_a_matrix_product_with_a_kept_mask_and_a_mean() {
    // svm.mpc's gradient step: g = (a·c)·0.5 stays raw (relabelled), its `mean` divides once,
    // and from the third epoch on (x's mask kept) `g @ transpose(x)` opens g's truncation with
    // its own opening.
    let src = "parties A, B;\nlet x = private(src=A, [[1.5, -2.0, 0.5, 1.0], [0.25, 3.0, -1.0, 2.0], [1.0, 1.0, -0.5, 0.75]]);\n\
               let a = private(src=B, [[1.0, -1.0, 1.0]]);\nlet w = zeros([1, 4]);\nlet b = zeros([1]);\n\
               for e in 0..5 {\n    let c = a - w @ transpose(x) * 0.25;\n    let g = (a * c) * 0.5;\n\
                   w = w + (g @ x) / 3;\n    b = b - mean(g);\n}\nprint(reveal(w), reveal(b));\n";
    let program = compile_clean(src, &[]);
    let folds = plan(&program, true, true, true);
    assert!(folds.iter().filter(|f| **f == Fold::Raw).count() >= 2, "{folds:?}");
    let cases = [(2, Some(CompareMode::Fss)), (2, Some(CompareMode::Tree)), (3, Some(CompareMode::Tree))];
    let rounds = merged_and_unmerged(&program, &cases, 11);
    for r in &rounds {
        assert!(r[0] < r[1], "{rounds:?}");
    }
    for n in [2, 3] {
        let cfg = RunConfig {
            seed: Some(3),
            compare: Some(CompareMode::Tree),
            dealer_folds: Some(true),
            ..RunConfig::default()
        };
        let report = run_mpc(&program, n, &cfg, &mut VecSink::default()).expect("the run");
        let model = estimate(&program, n, &cfg).expect("the model");
        assert_eq!((model.total.rounds, model.total.dealer_bytes), (report.rounds, report.dealer_bytes), "{n} parties");
    }
}

#[test]
fn above_the_fold_limit_comparisons_take_their_own_rounds_and_the_model_follows() {
    // 70000 elements (above `lazy::FOLD_MAX`): the pair's product is truncated first and the
    // comparison and its product take their own rounds, in the run and in the model alike.
    let src = "parties A, B;\nlet a = private(src=A, randn([1, 70000], seed=1));\n\
               let b = private(src=B, randn([1, 70000], seed=2));\nlet c = private(src=A, randn([1, 70000], seed=3));\n\
               let s = sign(a * b + c) * b;\nlet r = relu(a * c + b);\nprint(reveal(sum(s) * 0 + 1), reveal(sum(r) * 0 + 2));\n";
    let program = compile_clean(src, &[]);
    let cfg = RunConfig { seed: Some(5), compare: Some(CompareMode::Fss), ..RunConfig::default() };
    let mut sink = VecSink::default();
    let report = run_mpc(&program, 2, &cfg, &mut sink).expect("the run");
    let model = estimate(&program, 2, &cfg).expect("the model");
    assert_eq!((model.total.rounds, model.total.dealer_bytes), (report.rounds, report.dealer_bytes));
    let unmerged = RunConfig { merge_rounds: false, ..cfg.clone() };
    let plain = estimate(&program, 2, &unmerged).expect("the model");
    // No second key set: the dealer sends no more than unfolded (the wave still merges).
    assert!(
        model.total.dealer_bytes <= plain.total.dealer_bytes,
        "{} > {}",
        model.total.dealer_bytes,
        plain.total.dealer_bytes
    );
}

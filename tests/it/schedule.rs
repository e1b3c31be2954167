//! The round-merging schedule (`mpcc_ir::schedule`, run by `runtime::merge`): which statements
//! form waves, that the plan keeps every dependency, and that random programs compute the same
//! merged and unmerged, with the cost model still exact.

use crate::support::compile_clean;
use mpcc_ir::schedule::{plan, plans, Item};
use mpcc_ir::{Op, Program, Stmt, ValueId};
use mpcc_runtime::cost::estimate;
use mpcc_runtime::exec::{run_mpc, run_plain, Event, RunConfig, VecSink};
use mpcc_runtime::preprocessing::Preprocessing;
use mpcc_runtime::protocols::compare::CompareMode;

/// The ops (by name) of each wave of the program's top-level plan.
fn waves(program: &Program) -> Vec<Vec<&'static str>> {
    plan(program, &program.body)
        .iter()
        .filter_map(|item| match item {
            Item::Wave(chains) => Some(
                chains
                    .iter()
                    .flatten()
                    .filter_map(|i| match program.body.0.get(*i) {
                        Some(Stmt::Eval(id)) => program.value(*id).map(|d| d.op.name()),
                        _ => None,
                    })
                    .collect(),
            ),
            Item::Stmt(_) => None,
        })
        .collect()
}

#[test]
fn independent_products_share_a_wave_and_a_dependent_one_joins_its_chain() {
    let p = compile_clean(
        "parties A, B;\nlet a = private(src=A, [1.0, 2.0]);\nlet b = private(src=B, [3.0, 4.0]);\n\
         let s = a * b + b * b;\nlet t = (a * b) * a;\nprint(reveal(s + t));\n",
        &[],
    );
    let w = waves(&p);
    // The two inputs are shared in one wave; `a*b`, `b*b` and the `a*b` of `t` are independent:
    // one wave; `(a*b)*a` needs only the last, so it runs in that one's chain, in the same wave.
    assert_eq!(w, vec![vec!["share", "share"], vec!["mul", "mul", "mul", "mul"]], "{w:?}");
    let chains: Vec<usize> = plan(&p, &p.body)
        .iter()
        .filter_map(|item| match item {
            Item::Wave(chains) if chains.len() == 3 => Some(chains.iter().map(Vec::len).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(chains, vec![1, 1, 2], "{:?}", plan(&p, &p.body));
}

/// Every statement exactly once, and each after everything it depends on.
fn assert_valid(program: &Program) {
    for (block, items) in plans(program) {
        let mut order: Vec<usize> = Vec::new();
        for item in &items {
            match item {
                Item::Stmt(i) => order.push(*i),
                Item::Wave(chains) => order.extend(chains.iter().flatten()),
            }
        }
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..block.0.len()).collect::<Vec<_>>(), "a plan is a permutation");
        // Position of each statement in the plan; an evaluation comes after the evaluations of
        // its operands in this block, and a variable read keeps its place among the assignments.
        let pos = |i: usize| order.iter().position(|&j| j == i).unwrap_or(usize::MAX);
        let evaluated_at = |v: ValueId| block.0.iter().position(|s| matches!(s, Stmt::Eval(x) if *x == v));
        for (i, s) in block.0.iter().enumerate() {
            if let Stmt::Eval(id) = s {
                let def = program.value(*id).expect("value");
                for o in def.op.operands() {
                    if let Some(j) = evaluated_at(o).filter(|&j| j < i) {
                        assert!(pos(j) < pos(i), "operand {o} of {id} runs after it");
                    }
                }
                if let Op::Var(var) = def.op {
                    for (j, t) in block.0.iter().enumerate() {
                        if let Stmt::Assign { var: w, .. } = t {
                            if *w == var {
                                assert_eq!(j < i, pos(j) < pos(i), "read of {var:?} moved across an assignment");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn reads_and_assignments_of_a_variable_keep_their_order() {
    let p = compile_clean(
        "parties A, B;\nlet w = private(src=A, [1.0, 2.0]);\nlet x = private(src=B, [3.0, 4.0]);\n\
         for i in 0..3 {\n    let p = w * x;\n    w = w * x;\n    let q = p * w;\n    w = q * 0.5;\n}\n\
         print(reveal(w));\n",
        &[],
    );
    assert_valid(&p);
    // In the loop body, `w * x` (twice, reading the old `w`) form a wave; `p * w` reads the new one.
    let body = plans(&p).into_iter().nth(1).expect("the loop body");
    assert!(body.1.iter().any(|i| matches!(i, Item::Wave(m) if m.len() == 2)), "{:?}", body.1);
}

/// The numbers of a run's events (prints and outputs).
fn numbers(events: &[Event]) -> Vec<f64> {
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Print { text } | Event::Output { text, .. } => Some(format!("{text}\n")),
            _ => None,
        })
        .collect();
    crate::golden_run::numbers(&text)
}

#[test]
fn random_programs_compute_the_same_merged_and_unmerged_and_the_model_stays_exact() {
    let (mut accepted, mut with_waves, mut with_selects, mut with_pairs) = (0, 0, 0, 0);
    for seed in 0..600u64 {
        let src = crate::ni_gen::generate(seed).replace("INPUT", "[1.5, -0.5, 2.0]");
        let compiled = mpcc_compiler::compile(&src, &Default::default());
        let Some(program) = compiled.program else { continue };
        accepted += 1;
        assert_valid(&program);
        let folds = mpcc_ir::fold::plan(&program, true, true, true);
        if folds.iter().any(|f| matches!(f, mpcc_ir::fold::Fold::Select { .. } | mpcc_ir::fold::Fold::Pair)) {
            with_selects += 1;
        }
        with_pairs += usize::from(folds.contains(&mpcc_ir::fold::Fold::Pair));
        if plans(&program).iter().any(|(_, items)| items.iter().any(|i| matches!(i, Item::Wave(_)))) {
            with_waves += 1;
        }
        let mut sink = VecSink::default();
        let plain = run_plain(&program, &RunConfig::default(), &mut sink).map(|_| numbers(&sink.events));
        for compare in [CompareMode::Fss, CompareMode::Tree] {
            let mut results = Vec::new();
            for merge in [true, false] {
                let cfg =
                    RunConfig { seed: Some(seed), compare: Some(compare), merge_rounds: merge, ..RunConfig::default() };
                let mut sink = VecSink::default();
                let run = run_mpc(&program, 2, &cfg, &mut sink);
                if let (Ok(report), true) = (&run, merge) {
                    let predicted = estimate(&program, 2, &cfg).expect("the model");
                    assert_eq!(predicted.total.rounds, report.rounds, "seed {seed} ({compare:?}):\n{src}");
                    assert_eq!(predicted.total.dealer_bytes, report.dealer_bytes, "seed {seed}");
                }
                results.push(run.map(|r| (r.rounds, numbers(&sink.events))).map_err(|e| e.to_string()));
            }
            match (&results[0], &results[1], &plain) {
                (Ok((merged, a)), Ok((unmerged, b)), Ok(p)) => {
                    assert!(merged <= unmerged, "seed {seed}: {merged} rounds merged, {unmerged} not");
                    for got in [a, b] {
                        assert_eq!(got.len(), p.len(), "seed {seed}:\n{src}");
                        for (x, y) in got.iter().zip(p) {
                            assert!((x - y).abs() <= 0.05 + 0.02 * y.abs(), "seed {seed}: {x} vs {y}\n{src}");
                        }
                    }
                }
                // A run that fails (e.g. a value out of the fixed-point range) fails either way.
                (a, b, _) => assert_eq!(a.is_ok(), b.is_ok(), "seed {seed}: {a:?} / {b:?}\n{src}"),
            }
        }
    }
    eprintln!(
        "{accepted} of 600 random programs accepted, {with_waves} with a wave, {with_selects} with a folded comparison ({with_pairs} of a product's sum)"
    );
    assert!(with_selects >= 5, "only {with_selects} random programs had a comparison folded into its consumer");
    assert!(accepted >= 60, "only {accepted} of 600 random programs were accepted");
    assert!(with_waves >= 10, "only {with_waves} random programs had a wave");
}

#[test]
fn compile_emit_schedule_shows_the_waves_with_their_lines() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mpcc"))
        .args(["compile", "programs/svm.mpc", "--emit", "schedule"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("mpcc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The two inputs are shared together; in the loop, the gradients of w (line 16) and b
    // (line 17) run side by side, each a chain: the product and its division by n, the mean and
    // the update of b.
    assert!(stdout.contains("wave: %1 share (line 22) | %3 share (line 23)"), "{stdout}");
    assert!(stdout.contains("loop (line 13): its block below"), "{stdout}");
    assert!(
        stdout.contains(
            "wave: %32 matmul (line 16) → %33 mul (line 16) → %34 div (line 16) | %37 mean (line 17) → %38 mul (line 17) → %39 sub (line 17)"
        ),
        "{stdout}"
    );
}

/// Runs `program` merged and unmerged for each `(parties, comparison)` case, checks both against
/// the plaintext engine (1e-3) and the cost model's rounds against the run's; returns the rounds
/// `[merged, unmerged]` per case.
pub(crate) fn merged_and_unmerged(
    program: &Program,
    cases: &[(usize, Option<CompareMode>)],
    seed: u64,
) -> Vec<[u64; 2]> {
    let mut sink = VecSink::default();
    run_plain(program, &RunConfig::default(), &mut sink).expect("plaintext");
    let want = numbers(&sink.events);
    let mut out = Vec::new();
    for &(n, compare) in cases {
        let mut rounds = [0u64; 2];
        for (slot, merge) in rounds.iter_mut().zip([true, false]) {
            let cfg = RunConfig { seed: Some(seed), compare, merge_rounds: merge, ..RunConfig::default() };
            let mut sink = VecSink::default();
            let report = run_mpc(program, n, &cfg, &mut sink).expect("the run");
            let got = numbers(&sink.events);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-3, "{n} parties, merge {merge}: {got:?} against {want:?}");
            }
            assert_eq!(estimate(program, n, &cfg).expect("the model").total.rounds, report.rounds);
            *slot = report.rounds;
        }
        out.push(rounds);
    }
    out
}

#[test]
fn a_product_scaled_by_a_power_of_two_or_divided_truncates_once_with_the_same_values() {
    let src = "parties A, B;\nlet y = private(src=A, [-1.0, 1.5, -1.0, 1.0, 3.25, -1.0]);\n\
               let c = private(src=B, [1.0, 0.0, -1.0, 1.0, -1.0, 0.5]);\n\
               let g = -y * (1 - c) * 0.25;\nlet h = (y * c) / 3;\nlet m = (y @ c) * 0.5;\nprint(reveal(g), reveal(h), reveal(m));\n";
    let program = compile_clean(src, &[]);
    let folded = mpcc_ir::fold::deferred_truncations(&program, false);
    assert_eq!(folded.iter().filter(|f| **f).count(), 3, "the three products keep their raw scale");
    let cases = [(2, Some(CompareMode::Fss)), (2, Some(CompareMode::Tree)), (3, Some(CompareMode::Tree))];
    for (rounds, (n, _)) in merged_and_unmerged(&program, &cases, 5).into_iter().zip(cases) {
        // Each fold saves a truncation round: g's and m's run side by side, h's first round too.
        assert!(rounds[0] < rounds[1], "{n} parties: {rounds:?}");
    }
}

#[test]
fn a_product_of_products_opens_their_truncations_with_its_own_opening() {
    // (a·b)·c·d: each product's truncation rides on the next product's opening; (a·b)·(c·d): both
    // factors pending in one opening. With OT preprocessing (no dealer) nothing is fused.
    let src = "parties A, B;\nlet a = private(src=A, [1.5, -2.0, 3.25, 0.0]);\n\
               let b = private(src=B, [0.5, 4.0, -1.0, 7.0]);\nlet c = private(src=B, [2.0, -0.25, 1.5, 1.0]);\n\
               let d = private(src=A, [1.0, 3.0, -2.0, -1.5]);\n\
               print(reveal(a * b * c * d), reveal((a * b) * (c * d)), reveal(a * (b * [2.0])));\n";
    let program = compile_clean(src, &[]);
    let fused = mpcc_ir::fold::deferred_truncations(&program, true);
    let plain = mpcc_ir::fold::deferred_truncations(&program, false);
    assert_eq!(fused.iter().filter(|f| **f).count(), 4, "a·b and a·b·c, and a·b and c·d of the second");
    assert_eq!(plain.iter().filter(|f| **f).count(), 0);
    let cases = [(2, None), (3, None), (5, None)];
    for (rounds, (n, _)) in merged_and_unmerged(&program, &cases, 9).into_iter().zip(cases) {
        // a·b·c·d: 3 openings and a truncation instead of 6 rounds, alongside the second product.
        assert!(rounds[0] + 2 <= rounds[1], "{n} parties: {rounds:?}");
    }
    let mut sink = VecSink::default();
    run_plain(&program, &RunConfig::default(), &mut sink).expect("plaintext");
    let want = numbers(&sink.events);
    let cfg = RunConfig { seed: Some(9), preprocessing: Preprocessing::Ot, ..RunConfig::default() };
    let mut sink = VecSink::default();
    run_mpc(&program, 2, &cfg, &mut sink).expect("the OT run");
    for (g, w) in numbers(&sink.events).iter().zip(&want) {
        assert!((g - w).abs() <= 1e-3, "OT: {g} against {w}");
    }
}

#[test]
fn a_product_times_a_power_of_two_then_divided_by_a_count_truncates_once() {
    // `lr * (g @ x) / n` as in svm.mpc: the product stays raw through `2 *` (a relabelled scale)
    // and `/ n` (a public count, not a constant) truncates it once; `4 * (y * c) * 0.5` likewise.
    let src = "parties A, B;\nlet y = private(src=A, [[-1.0, 1.5, -1.0], [1.0, 3.25, -1.0]]);\n\
               let c = private(src=B, [[1.0, 0.0], [-1.0, 1.0], [-1.0, 0.5]]);\n\
               let n = shape(y)[1];\nlet g = 2 * (y @ c) / n;\nlet h = 4 * (y * transpose(c)) * 0.5;\n\
               let k = 512 * (y * y);\nprint(reveal(g), reveal(h), reveal(k));\n";
    let program = compile_clean(src, &[]);
    let folded = mpcc_ir::fold::deferred_truncations(&program, false);
    // y @ c and 2·(y @ c), y * cᵀ and 4·(y * cᵀ); 512·(y·y) has no consumer that truncates.
    assert_eq!(folded.iter().filter(|f| **f).count(), 4);
    let cases = [(2, None), (3, None)];
    for (rounds, (n, _)) in merged_and_unmerged(&program, &cases, 3).into_iter().zip(cases) {
        assert!(rounds[0] < rounds[1], "{n} parties: {rounds:?}");
    }
}

#[test]
fn a_comparison_folded_into_its_product_or_where_takes_no_round_of_its_own() {
    // sign(z)·y as in svm.mpc, where(a < b, a, b), (a >= b)·c and c·(a <= 1): with the DCF each
    // comparison and its product share one round; with the tree nothing is folded.
    let src = "parties A, B;\nlet a = private(src=A, [1.5, -2.0, 3.25, 0.0, -1.0]);\n\
               let b = private(src=B, [0.5, 4.0, -1.0, 0.0, 2.0]);\nlet c = private(src=B, [2.0, -0.25, 1.5, 1.0, -3.0]);\n\
               let z = a - b;\n\
               print(reveal(sign(z) * c), reveal(where(a < b, a, b)), reveal((a >= b) * c), reveal(c * (a <= 1)), reveal(where(a > c, 1.0, b)));\n";
    let program = compile_clean(src, &[]);
    let folds = mpcc_ir::fold::plan(&program, true, true, true);
    let selects = folds.iter().filter(|f| matches!(f, mpcc_ir::fold::Fold::Select { .. })).count();
    let lazy = folds.iter().filter(|f| matches!(f, mpcc_ir::fold::Fold::Lazy { .. })).count();
    assert_eq!((selects, lazy), (5, 5), "{folds:?}");
    let cases = [(2, Some(CompareMode::Fss)), (2, Some(CompareMode::Tree)), (3, Some(CompareMode::Tree))];
    let rounds = merged_and_unmerged(&program, &cases, 4);
    // With the DCF: the five comparisons and their products in one round instead of two.
    assert!(rounds[0][0] < rounds[0][1], "{rounds:?}");
}

#[test]
fn a_comparison_of_a_product_plus_a_value_truncates_in_the_comparisons_round() {
    // sign(a·b + c)·d as in svm.mpc (folded into its product too), (c - a·d) < 1 and
    // x @ w + v >= 0: each sum of a product keeps the product raw, and the comparison opens the
    // truncation with its own opening (DCF runs only).
    let src = "parties A, B;\nlet a = private(src=A, [1.5, -2.0, 3.25, 0.5, -1.0]);\n\
               let b = private(src=B, [0.5, 4.0, -1.0, 0.75, 2.0]);\nlet c = private(src=B, [2.0, -0.25, 1.5, 1.0, -3.0]);\n\
               let d = private(src=A, [1.0, -1.0, 1.0, -1.0, 1.0]);\n\
               let x = private(src=A, [[1.5, -2.0], [0.5, 3.0]]);\nlet w = private(src=B, [[0.25, -1.0, 2.0], [1.0, 0.5, -0.75]]);\n\
               let v = private(src=B, [0.5, -0.25, 1.0]);\n\
               print(reveal(sign(a * b + c) * d), reveal((c - a * d) < 1.0), reveal(x @ w + v >= 0));\n";
    let program = compile_clean(src, &[]);
    let folds = mpcc_ir::fold::plan(&program, true, true, true);
    use mpcc_ir::fold::Fold;
    let count = |p: &dyn Fn(&Fold) -> bool| folds.iter().filter(|f| p(f)).count();
    assert_eq!(count(&|f| *f == Fold::Pair), 3, "{folds:?}");
    assert_eq!(count(&|f| matches!(f, Fold::Compare { .. })), 2, "{folds:?}");
    assert_eq!(count(&|f| matches!(f, Fold::Select { pair: Some(_), .. })), 1, "{folds:?}");
    assert_eq!(count(&|f| *f == Fold::Raw), 3, "the three products stay raw: {folds:?}");
    assert!(mpcc_ir::fold::plan(&program, true, false, true).iter().all(|f| !matches!(f, Fold::Pair)));
    let cases = [(2, Some(CompareMode::Fss)), (2, Some(CompareMode::Tree)), (3, Some(CompareMode::Tree))];
    let rounds = merged_and_unmerged(&program, &cases, 6);
    // With the DCF: one round for each product's truncation and its comparison (and sign's
    // product), where the unfolded run takes a truncation, a comparison and a product.
    assert!(rounds[0][0] + 2 <= rounds[0][1], "{rounds:?}");
}

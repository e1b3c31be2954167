//! The MPC executor on hand-built IR (no compiler): values local to a party joined with another
//! party's (shared implicitly, shapes sent when the program does not know them), a private
//! condition reaching the executor (an error, not a panic), errors with spans, `print`/`save`
//! once, `output` to one party with a file, and a property test against the plaintext engine
//! over random shapes and values.

use mpcc_ir::{
    BinaryOp, Block, DType, Label, Op, PartyId, PrintArg, Program, ReduceOp, Shape, Span, Stmt, Tensor, ValueDef,
    ValueId, ValueInfo,
};
use mpcc_runtime::error::ErrorKind;
use mpcc_runtime::exec::mpc::run_mpc;
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// A straight-line program under construction.
struct Builder {
    values: Vec<ValueDef>,
    body: Vec<Stmt>,
}

impl Builder {
    fn new() -> Builder {
        Builder { values: Vec::new(), body: Vec::new() }
    }

    /// Adds a value and the statement that computes it.
    fn val(&mut self, op: Op, label: Label) -> ValueId {
        let id = ValueId(self.values.len() as u32);
        let at = 10 * id.0;
        self.values.push(ValueDef {
            op,
            info: ValueInfo { label, dtype: DType::Real, shape: Shape::Unknown, witness: None },
            span: Span::new(at, at + 5),
        });
        self.body.push(Stmt::Eval(id));
        id
    }

    fn constant(&mut self, shape: &[usize], data: Vec<f64>) -> ValueId {
        self.val(Op::Const(Tensor { shape: shape.to_vec(), data }), Label::Public)
    }

    fn print(&mut self, v: ValueId) {
        self.body.push(Stmt::Print { args: vec![PrintArg::Value(v)], span: Span::new(0, 1) });
    }

    fn finish(self, parties: &[&str]) -> Program {
        Program {
            parties: parties.iter().map(|s| s.to_string()).collect(),
            params: Vec::new(),
            values: self.values,
            vars: Vec::new(),
            body: Block(self.body),
        }
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-mpc-ir-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_npy(dir: &Path, name: &str, dims: &[usize], data: Vec<f64>) {
    let t = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims), data).expect("shape");
    mpcc_runtime::io::save(dir, name, &t).expect("write npy");
}

fn cfg(dirs: Vec<PathBuf>, seed: u64) -> RunConfig {
    RunConfig { data_dirs: dirs, seed: Some(seed), ..RunConfig::default() }
}

#[test]
fn local_values_of_two_parties_are_shared_before_they_meet() {
    // ALICE and BOB each load a file from their own folder; the program does not know the shapes.
    let (da, db) = (temp_dir("local-a"), temp_dir("local-b"));
    write_npy(&da, "v.npy", &[3], vec![1.0, 2.0, 3.0]);
    write_npy(&db, "v.npy", &[3], vec![0.5, -4.0, 10.0]);
    let mut b = Builder::new();
    let two = b.constant(&[], vec![2.0]);
    let a = b.val(Op::Load { path: "v.npy".into(), at: Some(PartyId(0)) }, Label::Local(PartyId(0)));
    let a2 = b.val(Op::Binary(BinaryOp::Mul, a, two), Label::Local(PartyId(0)));
    let c = b.val(Op::Load { path: "v.npy".into(), at: Some(PartyId(1)) }, Label::Local(PartyId(1)));
    let sum = b.val(Op::Binary(BinaryOp::Add, a2, c), Label::Private);
    let shape = b.val(Op::Shape(c), Label::Public);
    let open = b.val(Op::Reveal(sum), Label::Public);
    b.print(open);
    b.print(shape);
    b.body.push(Stmt::Output { value: a2, to: PartyId(0), path: None, span: Span::new(1, 2) });
    b.body.push(Stmt::Output { value: c, to: PartyId(0), path: Some("got.npy".into()), span: Span::new(3, 4) });
    let program = b.finish(&["ALICE", "BOB"]);
    for n in [2, 3] {
        let mut dirs = vec![da.clone(), db.clone()];
        dirs.resize(n, db.clone());
        let mut sink = VecSink::default();
        let report = run_mpc(&program, n, &cfg(dirs, 1), &mut sink).expect("run");
        assert_eq!(sink.prints(), vec!["[ 2.5  0.  16. ]", "[3.]"]);
        let outputs: Vec<(String, String)> = sink
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Output { party, text } => Some((party.clone(), text.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            outputs,
            vec![
                ("ALICE".to_string(), "[2. 4. 6.]".to_string()),
                ("ALICE".to_string(), "[ 0.5 -4.  10. ]".to_string())
            ]
        );
        // ALICE's own local value is output without an opening; BOB's is opened to ALICE.
        let kinds: Vec<(&str, &str)> = report.audit.entries.iter().map(|e| (e.kind.as_str(), e.to.as_str())).collect();
        assert_eq!(kinds, vec![("reveal", "all"), ("output", "ALICE")]);
        assert_eq!(report.files_written, vec![da.join("got.npy")]);
        let saved = mpcc_runtime::io::load(&da, "got.npy").expect("written");
        assert_eq!(saved.iter().copied().collect::<Vec<_>>(), vec![0.5, -4.0, 10.0]);
    }
}

#[test]
fn a_private_condition_is_an_error_not_a_panic() {
    let mut b = Builder::new();
    let one = b.constant(&[], vec![1.0]);
    let secret = b.val(Op::Share { src: PartyId(0), value: one }, Label::Private);
    b.body.push(Stmt::If {
        cond: secret,
        then_block: Block(Vec::new()),
        else_block: Block(Vec::new()),
        span: Span::new(40, 50),
    });
    let program = b.finish(&["ALICE", "BOB"]);
    let dir = temp_dir("cond");
    let err = run_mpc(&program, 2, &cfg(vec![dir.clone(), dir], 1), &mut VecSink::default())
        .expect_err("a private condition must be refused");
    assert_eq!(err.kind, ErrorKind::Internal);
    assert_eq!(err.span, Some(Span::new(40, 50)));
    assert!(err.message.contains("private"), "{}", err.message);
}

#[test]
fn a_shape_error_on_shares_names_the_op_and_stops_every_party() {
    let mut b = Builder::new();
    let x = b.constant(&[2, 3], vec![1.0; 6]);
    let y = b.constant(&[4], vec![1.0; 4]);
    let sx = b.val(Op::Share { src: PartyId(0), value: x }, Label::Private);
    let sy = b.val(Op::Share { src: PartyId(1), value: y }, Label::Private);
    let bad = b.val(Op::Binary(BinaryOp::Mul, sx, sy), Label::Private);
    let program = b.finish(&["ALICE", "BOB"]);
    let dir = temp_dir("shape");
    let err = run_mpc(&program, 3, &cfg(vec![dir; 3], 1), &mut VecSink::default())
        .expect_err("shapes [2, 3] and [4] do not broadcast");
    assert_eq!(err.kind, ErrorKind::Shape, "{err}");
    assert_eq!(err.span, program.value(bad).map(|d| d.span));
}

#[test]
fn a_public_value_out_of_fixed_point_range_is_a_domain_error() {
    let mut b = Builder::new();
    let x = b.constant(&[2], vec![1.0, 1e15]);
    let s = b.val(Op::Share { src: PartyId(0), value: x }, Label::Private);
    let program = b.finish(&["ALICE", "BOB"]);
    let dir = temp_dir("range");
    let err = run_mpc(&program, 2, &cfg(vec![dir.clone(), dir], 1), &mut VecSink::default())
        .expect_err("1e15 does not fit 16 fractional bits");
    assert_eq!(err.kind, ErrorKind::Domain, "{err}");
    assert!(err.message.contains("1000000000000000"), "{}", err.message);
    assert_eq!(err.span, program.value(s).map(|d| d.span));
}

#[test]
fn print_and_save_happen_once() {
    let mut b = Builder::new();
    let x = b.constant(&[2], vec![1.5, 2.5]);
    b.print(x);
    b.body.push(Stmt::Save { path: "x.npy".into(), value: x, span: Span::new(0, 1) });
    let program = b.finish(&["ALICE", "BOB", "CAROL"]);
    let (d0, d1) = (temp_dir("save-0"), temp_dir("save-1"));
    let mut sink = VecSink::default();
    let report = run_mpc(&program, 3, &cfg(vec![d0.clone(), d1.clone(), d1.clone()], 1), &mut sink).expect("run");
    assert_eq!(sink.prints(), vec!["[1.5 2.5]"]);
    // One file per distinct data folder.
    assert_eq!(report.files_written, vec![d0.join("x.npy"), d1.join("x.npy")]);
}

fn random_program(rows: usize, cols: usize, xs: &[f64], ys: &[f64]) -> Program {
    let mut b = Builder::new();
    let x = b.constant(&[rows, cols], xs.to_vec());
    let y = b.constant(&[rows, cols], ys.to_vec());
    let sx = b.val(Op::Share { src: PartyId(0), value: x }, Label::Private);
    let sy = b.val(Op::Share { src: PartyId(1), value: y }, Label::Private);
    let t = b.val(Op::Transpose(sy), Label::Private);
    let ops = [
        Op::Binary(BinaryOp::Add, sx, sy),
        Op::Binary(BinaryOp::Mul, sx, sy),
        Op::Binary(BinaryOp::Mul, sx, y),
        Op::Binary(BinaryOp::Sub, x, sy),
        Op::Binary(BinaryOp::Lt, sx, sy),
        Op::Binary(BinaryOp::Maximum, sx, y),
        Op::MatMul(sx, t),
        Op::Reduce { op: ReduceOp::Sum, x: sx, axis: Some(1) },
        Op::Reduce { op: ReduceOp::Max, x: sy, axis: Some(0) },
    ];
    for op in ops {
        let v = b.val(op, Label::Private);
        let r = b.val(Op::Reveal(v), Label::Public);
        b.print(r);
    }
    let c = b.val(Op::Binary(BinaryOp::Gt, sx, sy), Label::Private);
    let w = b.val(Op::Where(c, sx, y), Label::Private);
    let r = b.val(Op::Reveal(w), Label::Public);
    b.print(r);
    b.finish(&["ALICE", "BOB"])
}

fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .filter_map(|w| w.parse::<f64>().ok())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_and_values_match_plaintext(
        rows in 1usize..4,
        cols in 1usize..5,
        seed in 0u64..1000,
        n in 2usize..4,
        raw in proptest::collection::vec(-50.0f64..50.0, 32),
    ) {
        let len = rows * cols;
        let xs: Vec<f64> = raw[..len].to_vec();
        let ys: Vec<f64> = raw[16..16 + len].to_vec();
        let program = random_program(rows, cols, &xs, &ys);
        let dir = temp_dir("prop");
        let mut plain = VecSink::default();
        run_plain(&program, &RunConfig::with_dir(&dir, 2), &mut plain).expect("plaintext");
        let mut mpc = VecSink::default();
        run_mpc(&program, n, &cfg(vec![dir; n], seed), &mut mpc).expect("mpc");
        let (p, m) = (plain.prints(), mpc.prints());
        prop_assert_eq!(p.len(), m.len());
        for (a, b) in p.iter().zip(&m) {
            let (an, bn) = (numbers(a), numbers(b));
            prop_assert_eq!(an.len(), bn.len());
            for (u, v) in an.iter().zip(&bn) {
                // Products of values up to 50 (matmul sums up to 4 of them): 1e-3 relative.
                prop_assert!((u - v).abs() <= 1e-3 * u.abs().max(1.0), "{} vs {}", a, b);
            }
        }
    }
}

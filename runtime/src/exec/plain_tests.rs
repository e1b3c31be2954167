//! Tests of the plaintext engine on small hand-built IR programs: loops with variable updates,
//! public `if`, `while` with break/continue, print/output/save events and files, loads from the
//! right party's folder, domain warnings and typed errors with spans.

use super::*;
use crate::error::ErrorKind;
use mpcc_ir::*;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn temp_dir(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("mpcc-exec-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok();
    dir
}

/// Builds a program; every value gets its own span `[k, k+1)`.
struct B {
    p: Program,
}

impl B {
    fn new(parties: &[&str]) -> B {
        B {
            p: Program {
                parties: parties.iter().map(|s| s.to_string()).collect(),
                params: Vec::new(),
                values: Vec::new(),
                vars: Vec::new(),
                body: Block::default(),
            },
        }
    }
    fn val(&mut self, op: Op) -> ValueId {
        self.val_shaped(op, Shape::Unknown)
    }
    fn val_shaped(&mut self, op: Op, shape: Shape) -> ValueId {
        let k = self.p.values.len() as u32;
        self.p.values.push(ValueDef {
            op,
            info: ValueInfo::public(DType::Real, shape),
            span: Span::new(10 * k, 10 * k + 5),
        });
        ValueId(k)
    }
    fn c(&mut self, x: f64) -> ValueId {
        self.val(Op::Const(Tensor::scalar(x)))
    }
    fn var(&mut self, name: &str) -> VarId {
        self.p.vars.push(VarDef {
            name: name.to_string(),
            label: Label::Public,
            dtype: DType::Real,
            shape: Shape::scalar(),
            witness: None,
            span: Span::default(),
        });
        VarId(self.p.vars.len() as u32 - 1)
    }
}

fn run_events(p: &Program, cfg: &RunConfig) -> (Result<RunReport, RunError>, Vec<Event>) {
    let mut sink = VecSink::default();
    let res = run_plain(p, cfg, &mut sink);
    (res, sink.events)
}

fn print(text: &str) -> Event {
    Event::Print { text: text.to_string() }
}

#[test]
fn for_loop_accumulates_into_a_variable() {
    let mut b = B::new(&["ALICE"]);
    let acc = b.var("acc");
    let i = b.var("i");
    let zero = b.c(0.0);
    let five = b.c(5.0);
    let read_acc = b.val(Op::Var(acc));
    let read_i = b.val(Op::Var(i));
    let sum = b.val(Op::Binary(BinaryOp::Add, read_acc, read_i));
    let read_final = b.val(Op::Var(acc));
    b.p.body = Block(vec![
        Stmt::Eval(zero),
        Stmt::Assign { var: acc, value: zero },
        Stmt::Eval(five),
        Stmt::For {
            var: i,
            start: zero,
            end: five,
            body: Block(vec![
                Stmt::Eval(read_acc),
                Stmt::Eval(read_i),
                Stmt::Eval(sum),
                Stmt::Assign { var: acc, value: sum },
            ]),
            span: Span::default(),
        },
        Stmt::Eval(read_final),
        Stmt::Print { args: vec![PrintArg::Str("acc".into()), PrintArg::Value(read_final)], span: Span::default() },
    ]);
    let (res, events) = run_events(&b.p, &RunConfig::default());
    assert_eq!(events, vec![print("acc 10.0")]);
    assert_eq!(res.ok().map(|r| r.values_computed), Some(2 + 5 * 3 + 1));
}

#[test]
fn public_if_takes_one_branch() {
    let mut b = B::new(&["ALICE"]);
    let x = b.val(Op::Const(Tensor { shape: vec![2], data: vec![1.0, 4.0] }));
    let s = b.val(Op::Reduce { op: ReduceOp::Sum, x, axis: None });
    let two = b.c(2.0);
    let gt = b.val(Op::Binary(BinaryOp::Gt, s, two));
    let lt = b.val(Op::Binary(BinaryOp::Lt, s, two));
    let branch = |cond| Stmt::If {
        cond,
        then_block: Block(vec![Stmt::Print { args: vec![PrintArg::Str("big".into())], span: Span::default() }]),
        else_block: Block(vec![Stmt::Print { args: vec![PrintArg::Str("small".into())], span: Span::default() }]),
        span: Span::default(),
    };
    b.p.body = Block(vec![
        Stmt::Eval(x),
        Stmt::Eval(s),
        Stmt::Eval(two),
        Stmt::Eval(gt),
        Stmt::Eval(lt),
        branch(gt),
        branch(lt),
    ]);
    let (res, events) = run_events(&b.p, &RunConfig::default());
    assert!(res.is_ok());
    assert_eq!(events, vec![print("big"), print("small")]);
}

#[test]
fn while_with_continue_and_break() {
    // i = 0; n = 0; while i < 10 { i += 1; if i == 3 { continue } n += 1; if i == 5 { break } }
    let mut b = B::new(&["ALICE"]);
    let i = b.var("i");
    let n = b.var("n");
    let zero = b.c(0.0);
    let one = b.c(1.0);
    let ten = b.c(10.0);
    let three = b.c(3.0);
    let five = b.c(5.0);
    let ri = b.val(Op::Var(i));
    let cond = b.val(Op::Binary(BinaryOp::Lt, ri, ten));
    let ri2 = b.val(Op::Var(i));
    let inc = b.val(Op::Binary(BinaryOp::Add, ri2, one));
    let is3 = b.val(Op::Binary(BinaryOp::Eq, inc, three));
    let rn = b.val(Op::Var(n));
    let ninc = b.val(Op::Binary(BinaryOp::Add, rn, one));
    let is5 = b.val(Op::Binary(BinaryOp::Eq, inc, five));
    let (fi, fin) = (b.val(Op::Var(i)), b.val(Op::Var(n)));
    let sp = Span::default();
    b.p.body = Block(vec![
        Stmt::Eval(zero),
        Stmt::Eval(one),
        Stmt::Eval(ten),
        Stmt::Eval(three),
        Stmt::Eval(five),
        Stmt::Assign { var: i, value: zero },
        Stmt::Assign { var: n, value: zero },
        Stmt::While {
            cond_block: Block(vec![Stmt::Eval(ri), Stmt::Eval(cond)]),
            cond,
            body: Block(vec![
                Stmt::Eval(ri2),
                Stmt::Eval(inc),
                Stmt::Assign { var: i, value: inc },
                Stmt::Eval(is3),
                Stmt::If {
                    cond: is3,
                    then_block: Block(vec![Stmt::Continue { span: sp }]),
                    else_block: Block::default(),
                    span: sp,
                },
                Stmt::Eval(rn),
                Stmt::Eval(ninc),
                Stmt::Assign { var: n, value: ninc },
                Stmt::Eval(is5),
                Stmt::If {
                    cond: is5,
                    then_block: Block(vec![Stmt::Break { span: sp }]),
                    else_block: Block::default(),
                    span: sp,
                },
            ]),
            span: sp,
        },
        Stmt::Eval(fi),
        Stmt::Eval(fin),
        Stmt::Print { args: vec![PrintArg::Value(fi), PrintArg::Value(fin)], span: sp },
    ]);
    let (res, events) = run_events(&b.p, &RunConfig::default());
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(events, vec![print("5.0 4.0")]);
}

#[test]
fn loads_read_the_right_folder_and_output_is_labelled() {
    let (alice, bob) = (temp_dir("alice"), temp_dir("bob"));
    let ones = ndarray::arr1(&[1.0, 2.0]).into_dyn();
    let tens = ndarray::arr1(&[10.0, 20.0]).into_dyn();
    assert!(crate::io::save(&alice, "x.npy", &ones).is_ok());
    assert!(crate::io::save(&bob, "x.npy", &tens).is_ok());
    let mut b = B::new(&["ALICE", "BOB"]);
    let pub_x = b.val(Op::Load { path: "x.npy".into(), at: None });
    let bob_x = b.val(Op::Load { path: "x.npy".into(), at: Some(PartyId(1)) });
    let shared = b.val(Op::Share { src: PartyId(1), value: bob_x });
    let sum = b.val(Op::Binary(BinaryOp::Add, pub_x, shared));
    let opened = b.val(Op::Reveal(sum));
    let sp = Span::new(3, 4);
    b.p.body = Block(vec![
        Stmt::Eval(pub_x),
        Stmt::Eval(bob_x),
        Stmt::Eval(shared),
        Stmt::Eval(sum),
        Stmt::Output { value: sum, to: PartyId(1), path: Some("out/sum.npy".into()), span: sp },
        Stmt::Eval(opened),
        Stmt::Save { path: "sum.csv".into(), value: opened, span: sp },
    ]);
    let cfg = RunConfig { data_dirs: vec![alice.clone(), bob.clone()], ..RunConfig::default() };
    let (res, events) = run_events(&b.p, &cfg);
    assert_eq!(events, vec![Event::Output { party: "BOB".into(), text: "[11. 22.]".into() }]);
    let report = res.ok().unwrap_or_default();
    assert_eq!(report.files_written, vec![bob.join("out/sum.npy"), alice.join("sum.csv")]);
    assert_eq!(crate::io::load(&bob, "out/sum.npy").ok(), Some(ndarray::arr1(&[11.0, 22.0]).into_dyn()));
    assert!(crate::io::load(&alice, "sum.csv").is_ok());
}

#[test]
fn load_errors_carry_party_span_and_expected_shape() {
    let dir = temp_dir("shape");
    assert!(crate::io::save(&dir, "x.npy", &ndarray::arr1(&[1.0, 2.0]).into_dyn()).is_ok());
    let mut b = B::new(&["ALICE", "BOB"]);
    let x = b.val_shaped(Op::Load { path: "x.npy".into(), at: Some(PartyId(1)) }, Shape::known(&[3]));
    b.p.body = Block(vec![Stmt::Eval(x)]);
    let (res, _) = run_events(&b.p, &RunConfig::with_dir(&dir, 2));
    let err = res.err();
    assert_eq!(err.as_ref().map(|e| e.kind), Some(ErrorKind::ShapeMismatch));
    assert_eq!(err.as_ref().and_then(|e| e.party.clone()).as_deref(), Some("BOB"));
    assert_eq!(err.as_ref().and_then(|e| e.span), Some(Span::new(0, 5)));
    assert_eq!(err.as_ref().and_then(|e| e.expected_shape.clone()).as_deref(), Some("[3]"));
    let (res, _) = run_events(&b.p, &RunConfig::with_dir(&dir, 1));
    assert_eq!(res.err().map(|e| e.kind), Some(ErrorKind::Config));
}

#[test]
fn domain_problems_warn_once_or_fail_when_strict() {
    let mut b = B::new(&["ALICE"]);
    let i = b.var("i");
    let x = b.val(Op::Const(Tensor { shape: vec![3], data: vec![1.0, -1.0, 0.0] }));
    let lg = b.val(Op::Unary(UnaryOp::Log, x));
    let big = b.c(1000.0);
    let ex = b.val(Op::Unary(UnaryOp::Exp, big));
    let (zero, three) = (b.c(0.0), b.c(3.0));
    b.p.body = Block(vec![
        Stmt::Eval(x),
        Stmt::Eval(big),
        Stmt::Eval(zero),
        Stmt::Eval(three),
        Stmt::For {
            var: i,
            start: zero,
            end: three,
            body: Block(vec![Stmt::Eval(lg), Stmt::Eval(ex)]),
            span: Span::default(),
        },
    ]);
    let (res, events) = run_events(&b.p, &RunConfig::default());
    assert_eq!(res.ok().map(|r| r.warnings), Some(2));
    assert_eq!(
        events,
        vec![
            Event::Warning {
                span: Span::new(10, 15),
                message: "`log` of a value ≤ 0 (2 elements; first: -1.0 at flat index 1)".into()
            },
            Event::Warning {
                span: Span::new(30, 35),
                message: "the result holds 1 NaN or infinite value (from finite operands)".into()
            },
        ]
    );
    let strict = RunConfig { strict_domains: true, ..RunConfig::default() };
    let (res, events) = run_events(&b.p, &strict);
    let err = res.err();
    assert_eq!(err.as_ref().map(|e| (e.kind, e.span)), Some((ErrorKind::Domain, Some(Span::new(10, 15)))));
    assert!(events.is_empty());
}

#[test]
fn shape_errors_point_at_the_op() {
    let mut b = B::new(&["ALICE"]);
    let a = b.val(Op::Const(Tensor { shape: vec![2, 3], data: vec![0.0; 6] }));
    let m = b.val(Op::MatMul(a, a));
    let idx = b.c(5.0);
    let at = b.val(Op::Index { x: a, items: vec![IndexItem::At(idx)] });
    b.p.body = Block(vec![Stmt::Eval(a), Stmt::Eval(m)]);
    let (res, _) = run_events(&b.p, &RunConfig::default());
    assert_eq!(res.err().map(|e| (e.kind, e.span)), Some((ErrorKind::Shape, Some(Span::new(10, 15)))));
    b.p.body = Block(vec![Stmt::Eval(a), Stmt::Eval(idx), Stmt::Eval(at)]);
    let (res, _) = run_events(&b.p, &RunConfig::default());
    assert_eq!(res.err().map(|e| (e.kind, e.span)), Some((ErrorKind::Index, Some(Span::new(30, 35)))));
    b.p.body = Block(vec![Stmt::Eval(m)]);
    let (res, _) = run_events(&b.p, &RunConfig::default());
    assert_eq!(res.err().map(|e| e.kind), Some(ErrorKind::Internal));
}

#[test]
fn construction_structural_and_nn_ops_run() {
    let mut b = B::new(&["ALICE"]);
    let shape = b.val(Op::Const(Tensor { shape: vec![2], data: vec![2.0, 3.0] }));
    let r = b.val(Op::Randn { shape, seed: 1 });
    let sh = b.val(Op::Shape(r));
    let minus1 = b.val(Op::Const(Tensor { shape: vec![2], data: vec![3.0, -1.0] }));
    let rs = b.val(Op::Reshape { x: r, shape: minus1 });
    let t = b.val(Op::Transpose(rs));
    let cat = b.val(Op::Cat { xs: vec![r, t], axis: 0 });
    let sm = b.val(Op::Softmax { x: cat, axis: -1 });
    let total = b.val(Op::Reduce { op: ReduceOp::Sum, x: sm, axis: None });
    let (lo, hi) = (b.c(1.0), b.c(-1.0));
    let sl = b.val(Op::Index { x: cat, items: vec![IndexItem::Slice { start: Some(lo), end: Some(hi) }] });
    let shs = b.val(Op::Shape(sl));
    let ids: Vec<ValueId> = (0..b.p.values.len() as u32).map(ValueId).collect();
    let mut stmts: Vec<Stmt> = ids.iter().map(|&v| Stmt::Eval(v)).collect();
    stmts.push(Stmt::Print {
        args: vec![PrintArg::Value(sh), PrintArg::Value(total), PrintArg::Value(shs)],
        span: Span::default(),
    });
    b.p.body = Block(stmts);
    let (res, events) = run_events(&b.p, &RunConfig::default());
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(events, vec![print("[2. 3.] 4.0 [2. 3.]")]);
}

#[test]
fn shape_errors_on_loaded_data_name_file_party_and_needed_shape() {
    let dir = temp_dir("origin");
    let data = ndarray::Array2::<f64>::zeros((50, 4)).into_dyn();
    assert!(crate::io::save(&dir, "test_x.npy", &data).is_ok());
    let mut b = B::new(&["ALICE", "BOB"]);
    let w = b.val(Op::Const(Tensor { shape: vec![1, 100], data: vec![0.0; 100] }));
    let x = b.val(Op::Load { path: "test_x.npy".into(), at: Some(PartyId(1)) });
    let shared = b.val(Op::Share { src: PartyId(1), value: x });
    let v = b.var("x");
    let read = b.val(Op::Var(v));
    let m = b.val(Op::MatMul(w, read));
    b.p.body = Block(vec![
        Stmt::Eval(w),
        Stmt::Eval(x),
        Stmt::Eval(shared),
        Stmt::Assign { var: v, value: shared },
        Stmt::Eval(read),
        Stmt::Eval(m),
    ]);
    let (res, _) = run_events(&b.p, &RunConfig::with_dir(&dir, 2));
    let err = res.err().unwrap_or_else(|| RunError::new(ErrorKind::Internal, "no error"));
    assert_eq!(err.kind, ErrorKind::Shape);
    assert_eq!(err.party.as_deref(), Some("BOB"));
    assert_eq!(err.file, Some(dir.join("test_x.npy")));
    assert_eq!(err.expected_shape.as_deref(), Some("[100, ?]"));
    assert_eq!(err.span, Some(Span::new(40, 45)));
    assert!(err.message.ends_with("the file's tensor has shape [50, 4]"), "{}", err.message);
}

#[test]
fn a_precision_outside_the_supported_range_is_a_typed_error_for_both_engines() {
    let p = B::new(&["ALICE", "BOB"]).p;
    for precision in [0, 7, 21, 24, 31, 40] {
        let cfg = RunConfig { precision, ..RunConfig::default() };
        let e = run_plain(&p, &cfg, &mut VecSink::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Precision, "{e}");
        assert!(e.message.contains("8..=20"), "{e}");
        let e = run_mpc(&p, 2, &cfg, &mut VecSink::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Precision, "{e}");
    }
    let cfg = RunConfig { precision: 20, ..RunConfig::default() };
    assert!(run_plain(&p, &cfg, &mut VecSink::default()).is_ok());
}

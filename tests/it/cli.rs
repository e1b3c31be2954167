//! The `mpcc` binary end to end: exit codes, error messages for bad input, JSON diagnostics,
//! and the example programs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mpcc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpcc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the mpcc binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder under the system temp dir, unique to this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path.display().to_string()
}

#[test]
fn svm_example_checks_and_reaches_95_percent_in_plaintext() {
    let out = mpcc(&["check", "programs/svm.mpc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = mpcc(&["run", "programs/svm.mpc", "--plaintext"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("[ALICE] [[")), "ALICE gets w: {stdout}");
    let acc: f64 = stdout.lines().last().and_then(|l| l.trim().parse().ok()).expect("accuracy line");
    assert!(acc >= 0.95, "accuracy {acc}");
}

#[test]
fn a_source_that_is_not_utf8_is_an_error_not_a_panic() {
    let dir = scratch("utf8");
    let file = write(&dir, "bad.mpc", b"let x = \xff\xfe;");
    let out = mpcc(&["check", &file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not valid UTF-8"), "{}", text(&out.stderr));
}

#[test]
fn a_missing_source_names_the_file() {
    let out = mpcc(&["check", "no/such/file.mpc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no/such/file.mpc"));
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(mpcc(&["run", "programs/svm.mpc", "--set", "epochs"]).status.code(), Some(2));
    assert_eq!(mpcc(&["run", "programs/svm.mpc", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(mpcc(&["explain", "E9999"]).status.code(), Some(2));
    let out = mpcc(&["run", "programs/svm.mpc", "--plaintext", "--data", "CAROL=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("CAROL"));
}

#[test]
fn explain_prints_the_code_explanation() {
    let out = mpcc(&["explain", "E0301"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("E0301"));
}

#[test]
fn json_diagnostics_are_one_object_per_line_with_ranges() {
    let dir = scratch("json");
    let file = write(
        &dir,
        "leak.mpc",
        b"parties A, B;\nlet x = private(src=A, load(\"f.npy\"));\nprint(x + 1);\nfor i in 0..x { }\n",
    );
    let out = mpcc(&["check", "--message-format", "json", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let diags: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert!(diags.len() >= 2, "both errors reported: {stdout}");
    let first = &diags[0];
    assert_eq!(first["code"], "E0301");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["range"]["line_start"], 3);
    assert_eq!(first["range"]["column_start"], 7);
    assert_eq!(first["labels"][0]["primary"], true);
    assert!(first["help"].as_str().is_some_and(|h| h.contains("reveal")));
}

#[test]
fn a_missing_data_file_names_the_file_and_the_party() {
    let dir = scratch("missing-data");
    let file = write(
        &dir,
        "p.mpc",
        b"parties ALICE, BOB;\nlet x = private(src=BOB, load(\"nope.npy\"));\nprint(reveal(x));\n",
    );
    let out = mpcc(&["run", &file, "--plaintext"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("nope.npy") && stderr.contains("BOB"), "{stderr}");
}

fn last_number(stdout: &str) -> f64 {
    stdout.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(f64::NAN)
}

#[test]
fn svm_with_two_parties_matches_plaintext_within_one_point_and_reports_costs() {
    let plain = mpcc(&["run", "programs/svm.mpc", "--plaintext", "--set", "epochs=10"]);
    let mpc =
        mpcc(&["run", "programs/svm.mpc", "--parties", "2", "--seed", "7", "--set", "epochs=10", "--stats", "json"]);
    assert_eq!(mpc.status.code(), Some(0), "{}", text(&mpc.stderr));
    let (a, b) = (last_number(&text(&plain.stdout)), last_number(&text(&mpc.stdout)));
    assert!((a - b).abs() <= 0.01 + 1e-9, "plaintext {a} vs 2 parties {b}");
    let report: serde_json::Value =
        serde_json::from_str(text(&mpc.stderr).lines().last().unwrap_or("")).expect("--stats json is one JSON line");
    assert_eq!(report["n_parties"], 2);
    assert!(report["rounds"].as_u64().is_some_and(|r| r > 0));
    // Exactly the program's two openings: `output(w, to=ALICE)` and `reveal(acc)`.
    assert_eq!(report["audit"]["entries"].as_array().map(Vec::len), Some(2), "{}", report["audit"]);
}

#[test]
fn compare_picks_the_comparison_protocol() {
    let out = mpcc(&["run", "programs/svm.mpc", "--parties", "3", "--compare", "fss"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("2-party"), "{}", text(&out.stderr));
    let run = |mode: &str| {
        let out = mpcc(&[
            "run",
            "programs/svm.mpc",
            "--compare",
            mode,
            "--seed",
            "7",
            "--set",
            "epochs=2",
            "--stats",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(text(&out.stderr).lines().last().unwrap_or(""))
            .expect("--stats json is one JSON line");
        (last_number(&text(&out.stdout)), report["rounds"].as_u64().unwrap_or(0))
    };
    let ((fss, fss_rounds), (tree, tree_rounds)) = (run("fss"), run("tree"));
    // The SVM compares once per epoch and once to evaluate: 7 rounds fewer each time with the DCF.
    assert!((fss - tree).abs() <= 0.01 + 1e-9, "fss {fss} vs tree {tree}");
    assert!(fss_rounds < tree_rounds, "fss {fss_rounds} rounds, tree {tree_rounds}");
}

#[test]
fn too_few_parties_is_a_usage_error() {
    let out = mpcc(&["run", "programs/svm.mpc", "--parties", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("at least 2"), "{}", text(&out.stderr));
}

#[test]
fn plaintext_runs_point_at_inputs_outside_a_private_functions_domain() {
    let dir = scratch("domain");
    let file = write(
        &dir,
        "dom.mpc",
        b"parties ALICE, BOB;\nlet x = private(src=ALICE, [1.0, 40.0]);\nprint(reveal(exp(x)));\nprint(exp(public([40.0])));\n",
    );
    let out = mpcc(&["run", &file, "--plaintext"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    // Only the private `exp` (line 3) is flagged: a public one is computed exactly.
    assert_eq!(stderr.matches("outside its private domain").count(), 1, "{stderr}");
    assert!(stderr.contains("dom.mpc:3:14"), "{stderr}");
    // exp beyond its overflow point (46·ln 2 ≈ 31.88 at 16 bits) saturates in a private run.
    assert!(stderr.contains("largest encodable value"), "{stderr}");
    let strict = mpcc(&["run", &file, "--plaintext", "--strict-domains"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn network_run_of_local_processes_prints_what_the_simulated_run_prints() {
    let args = ["--seed", "5", "--set", "epochs=3", "--stats", "none", "--timeout", "20"];
    let simulated = mpcc(&[&["run", "programs/svm.mpc", "--parties", "2"][..], &args].concat());
    let network = ["run", "programs/svm.mpc", "--parties", "2", "--network", "--insecure-seed"];
    let networked = mpcc(&[&network[..], &args].concat());
    assert_eq!(networked.status.code(), Some(0), "{}", text(&networked.stderr));
    assert_eq!(text(&networked.stdout), text(&simulated.stdout));
    // Every party warns that the run is insecure.
    let stderr = text(&networked.stderr);
    for who in ["[ALICE] warning: --insecure-seed", "[BOB] warning: --insecure-seed"] {
        assert!(stderr.contains(who), "{who} missing: {stderr}");
    }
}

#[test]
fn a_networked_run_refuses_a_seed_unless_told_it_is_insecure() {
    let party = ["--party", "0", "--peers", "127.0.0.1:1,127.0.0.1:2", "--dealer", "127.0.0.1:3", "--keys", "nowhere"];
    for mode in [&["--parties", "2", "--network"][..], &party[..]] {
        let out = mpcc(&[&["run", "programs/svm.mpc", "--seed", "5"][..], mode].concat());
        assert_eq!(out.status.code(), Some(2), "{mode:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("add `--insecure-seed` to allow it"), "{mode:?}: {stderr}");
    }
    // The dealer takes no seed of its own: with `--insecure-seed` it takes the parties'.
    let out = mpcc(&["dealer", "--listen", "127.0.0.1:1", "--keys", "k", "--certs", "k", "--seed", "5"]);
    assert_eq!(out.status.code(), Some(2));
    // `--insecure-seed` needs a seed to be insecure about.
    let out = mpcc(&["run", "programs/svm.mpc", "--parties", "2", "--network", "--insecure-seed"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_party_without_its_keys_is_told_what_to_pass() {
    let out = mpcc(&[
        "run",
        "programs/svm.mpc",
        "--party",
        "0",
        "--peers",
        "127.0.0.1:1,127.0.0.1:2",
        "--dealer",
        "127.0.0.1:3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--keys"), "{}", text(&out.stderr));
}

/// A little-endian `f64` `.npy` file of `shape` (`[]` for a 0-d array).
fn npy(shape: &[usize], data: &[f64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    data.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    out
}

#[test]
fn operands_of_the_wrong_shape_from_files_are_errors_at_the_op_in_both_engines() {
    let dir = scratch("operand-shapes");
    write(&dir, "m.npy", &npy(&[2, 2], &[1.0, 2.0, 3.0, 4.0]));
    write(&dir, "s.npy", &npy(&[], &[2.0]));
    write(&dir, "v.npy", &npy(&[3], &[1.0, 2.0, 3.0]));
    // (the expression on line 4, what the error must name)
    let cases = [
        ("m @ s", "s.npy"),
        ("s @ m", "s.npy"),
        ("s @ s", "s.npy"),
        ("m @ v", "m.npy"),
        ("m + v", "m.npy"),
        ("v[0, 1]", "2 indices for a tensor of rank 1"),
    ];
    for (expr, named) in cases {
        let source = format!(
            "parties ALICE, BOB;\nlet m = private(src=ALICE, load(\"m.npy\"));\nlet s = private(src=BOB, load(\"s.npy\")); let v = private(src=BOB, load(\"v.npy\"));\nprint(reveal({expr}));\n"
        );
        let file = write(&dir, "p.mpc", source.as_bytes());
        for engine in [&["--plaintext"][..], &["--parties", "2", "--stats", "none"]] {
            let out = mpcc(&[&["run", file.as_str()][..], engine].concat());
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "`{expr}` {engine:?}: {stderr}");
            assert!(stderr.starts_with("error: ") && stderr.contains(named), "`{expr}` {engine:?}: {stderr}");
            assert!(stderr.contains("p.mpc:4:14"), "`{expr}` {engine:?} points at the op: {stderr}");
        }
    }
}

#[test]
fn a_precision_outside_8_to_20_is_refused_naming_the_range() {
    let dir = scratch("precision");
    let file = write(&dir, "p.mpc", b"parties ALICE, BOB;\nlet x = private(src=ALICE, 2.0);\nprint(reveal(x * x));\n");
    for p in ["24", "31", "40", "7", "0"] {
        for mode in [&["--plaintext"][..], &["--parties", "2"][..]] {
            let mut args = vec!["run", file.as_str(), "--precision", p];
            args.extend_from_slice(mode);
            let out = mpcc(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "--precision {p}: {err}");
            assert!(err.contains(&format!("--precision {p}")) && err.contains("8 to 20"), "{err}");
        }
    }
    let out = mpcc(&["run", &file, "--precision", "20", "--parties", "2", "--stats", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with('4'), "{}", text(&out.stdout));
}

/// 65536² = 2^32 is beyond the product limit 2^30 at precision 16: in the ring the product of the
/// encodings is 2^64 ≡ 0.
const OVERFLOW: &[u8] =
    b"parties ALICE, BOB;\nlet x = private(src=ALICE, 65536.0);\nlet y = x * x;\nprint(reveal(y));\n";

fn printed_number(out: &Output) -> f64 {
    let stdout = text(&out.stdout);
    stdout.trim().parse().unwrap_or_else(|_| panic!("a number: {stdout:?} / {}", text(&out.stderr)))
}

#[test]
fn ranges_names_the_line_whose_product_overflows() {
    let dir = scratch("ranges");
    let file = write(&dir, "p.mpc", OVERFLOW);
    let out = mpcc(&["run", &file, "--plaintext", "--ranges"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("ranges at precision 16"), "{err}");
    assert!(err.contains("p.mpc:3: product") && err.contains("-2.0 bits"), "{err}");
    assert!(err.contains("warning: ") && err.contains("p.mpc:3: this product exceeds"), "{err}");
    assert!(!err.contains("p.mpc:2: this"), "the input itself fits: {err}");
    // At precision 8 the same program has 14 bits to spare and no warning.
    let out = mpcc(&["run", &file, "--plaintext", "--ranges", "--precision", "8"]);
    assert!(!text(&out.stderr).contains("warning"), "{}", text(&out.stderr));
}

#[test]
fn fixed_reproduces_the_secure_overflow_that_f64_hides() {
    let dir = scratch("fixed");
    let file = write(&dir, "p.mpc", OVERFLOW);
    let plain = printed_number(&mpcc(&["run", &file, "--plaintext"]));
    let fixed = printed_number(&mpcc(&["run", &file, "--plaintext", "--fixed"]));
    let mpc = printed_number(&mpcc(&["run", &file, "--parties", "2", "--stats", "none", "--seed", "1"]));
    assert_eq!(plain, 4_294_967_296.0);
    assert!((fixed - mpc).abs() <= 2.0 / 65536.0, "--fixed {fixed}, MPC {mpc}");
    assert!(fixed.abs() < 1.0, "{fixed}");
}

#[test]
fn ot_preprocessing_runs_two_processes_and_no_dealer() {
    let out = mpcc(&["run", "programs/basics.mpc", "--parties", "3", "--preprocessing", "ot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exactly 2 parties"), "{}", text(&out.stderr));
    let out =
        mpcc(&["run", "programs/svm.mpc", "--parties", "2", "--network", "--preprocessing", "ot", "--set", "epochs=1"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.lines().any(|l| l.parse::<f64>().is_ok_and(|acc| (0.0..=1.0).contains(&acc))), "{stdout}");
    for who in ["[ALICE]", "[BOB]"] {
        assert!(stderr.lines().any(|l| l.starts_with(who) && l.contains("preprocessing (OT, no dealer)")), "{stderr}");
    }
    assert!(!stderr.contains("[DEALER]"), "no dealer process: {stderr}");
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `mpcc compile … | head -1`: the reader goes away after the first line.
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpcc"))
        .args(["compile", "programs/mnist/train_cnn.mpc", "--emit", "ast"]) // 340 kB, beyond any pipe buffer
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpcc starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("a line");
    assert!(!first.is_empty());
    let out = child.wait_with_output().expect("mpcc ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

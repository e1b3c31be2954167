//! Tests of data-file loading and saving: round trips and every bad-file error.

use super::*;
use ndarray::{arr0, arr1, arr2, ArrayD};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty folder under the system temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("mpcc-io-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).ok();
}

fn err_of(r: Result<Tensor, RunError>) -> RunError {
    match r {
        Ok(v) => RunError::new(ErrorKind::Internal, format!("expected an error, loaded {v:?}")),
        Err(e) => e,
    }
}

/// A `.npy` file with a hand-written header dict.
fn npy_with_header(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    let pad = (64 - (11 + header.len()) % 64) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

#[test]
fn npy_round_trips_f64() {
    let dir = temp_dir("rt");
    let m = arr2(&[[1.5, -2.0, 3.25], [0.0, 1e-9, 7.0]]).into_dyn();
    let file = save(&dir, "m.npy", &m).ok();
    assert_eq!(file, Some(dir.join("m.npy")));
    assert_eq!(load(&dir, "m.npy").ok(), Some(m.clone()));
    let s = arr0(0.5).into_dyn();
    assert!(save(&dir, "sub/s.npy", &s).is_ok());
    assert_eq!(load(&dir, "./sub/s.npy").ok(), Some(s));
    let t = crate::plain::structural::transpose(&m);
    assert!(save(&dir, "t.npy", &t).is_ok());
    assert_eq!(load(&dir, "t.npy").ok(), Some(t));
}

#[test]
fn npy_element_types_become_f64() {
    let dir = temp_dir("types");
    let want = arr1(&[1.0, 0.0, 2.0]).into_dyn();
    let files: Vec<(&str, Result<Vec<u8>, npy::NpyError>)> = vec![
        ("f32.npy", npy::encode_npy(&arr1(&[1.0f32, 0.0, 2.0]).into_dyn())),
        ("i64.npy", npy::encode_npy(&arr1(&[1i64, 0, 2]).into_dyn())),
        ("i32.npy", npy::encode_npy(&arr1(&[1i32, 0, 2]).into_dyn())),
        ("u8.npy", npy::encode_npy(&arr1(&[1u8, 0, 2]).into_dyn())),
    ];
    for (name, bytes) in files {
        write(&dir, name, &bytes.unwrap());
        assert_eq!(load(&dir, name).ok(), Some(want.clone()), "{name}");
    }
    let b = npy::encode_npy(&arr1(&[true, false]).into_dyn()).unwrap();
    write(&dir, "b.npy", &b);
    assert_eq!(load(&dir, "b.npy").ok(), Some(arr1(&[1.0, 0.0]).into_dyn()));
    let big_endian =
        npy_with_header("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", &[0, 0, 0, 7, 255, 255, 255, 255]);
    write(&dir, "be.npy", &big_endian);
    let fortran = npy_with_header(
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
        &[1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
    );
    write(&dir, "f.npy", &fortran);
    assert_eq!(load(&dir, "f.npy").ok(), Some(arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).into_dyn()));
    let scalar = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &2.5f64.to_le_bytes());
    write(&dir, "s.npy", &scalar);
    assert_eq!(load(&dir, "s.npy").ok(), Some(arr0(2.5).into_dyn()));
    assert_eq!(load(&dir, "be.npy").ok(), Some(arr1(&[7.0, -1.0]).into_dyn()));
}

#[test]
fn bad_npy_files_are_typed_errors() {
    let dir = temp_dir("bad");
    let good = npy::encode_npy(&arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn()).unwrap();
    write(&dir, "cut.npy", &good[..good.len() - 8]);
    let e = err_of(load(&dir, "cut.npy"));
    assert_eq!(e.kind, ErrorKind::MalformedFile);
    assert_eq!(e.file, Some(dir.join("cut.npy")));
    assert!(e.message.contains("truncated") && e.message.contains("[2, 2]"), "{}", e.message);

    write(&dir, "short.npy", &good[..20]);
    assert!(err_of(load(&dir, "short.npy")).message.contains("truncated"));

    write(&dir, "junk.npy", b"hello, world");
    let e = err_of(load(&dir, "junk.npy"));
    assert_eq!(e.kind, ErrorKind::MalformedFile);
    assert!(e.message.contains("magic"), "{}", e.message);

    let bad_dict = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", &[0; 8]);
    write(&dir, "dict.npy", &bad_dict);
    let e = err_of(load(&dir, "dict.npy"));
    assert!(e.message.starts_with("bad .npy header"), "{}", e.message);

    let huge = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000), }", &[0; 16]);
    write(&dir, "huge.npy", &huge);
    let e = err_of(load(&dir, "huge.npy"));
    assert!(e.message.contains("truncated"), "{}", e.message);

    let text = npy_with_header("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", &[0; 12]);
    write(&dir, "text.npy", &text);
    let e = err_of(load(&dir, "text.npy"));
    assert!(e.message.contains("unsupported element type"), "{}", e.message);

    let e = err_of(load(&dir, "absent.npy"));
    assert_eq!(e.kind, ErrorKind::MissingFile);
    assert_eq!(e.file, Some(dir.join("absent.npy")));
}

#[test]
fn non_finite_values_say_where() {
    let dir = temp_dir("nan");
    let m = arr2(&[[1.0, 2.0], [f64::NAN, f64::INFINITY]]).into_dyn();
    write(&dir, "n.npy", &npy::encode_npy(&m).unwrap());
    let e = err_of(load(&dir, "n.npy"));
    assert_eq!(e.kind, ErrorKind::NonFinite);
    assert_eq!(e.message, "the data holds 2 NaN or infinite values (first: nan at index [1, 0])");
    write(&dir, "n.csv", b"1,2\n3,inf\n");
    let e = err_of(load(&dir, "n.csv"));
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::NonFinite, "row 2, column 2: `inf` is not a finite number"));
}

#[test]
fn shape_checks_name_party_file_and_expected_shape() {
    let dir = temp_dir("shape");
    let m = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).into_dyn();
    assert!(save(&dir, "x.npy", &m).is_ok());
    let need = Shape::Ranked(vec![Dim::Known(3), Dim::Unknown]);
    let e = err_of(load_checked(&dir, "x.npy", "ALICE", &need));
    assert_eq!(e.kind, ErrorKind::ShapeMismatch);
    assert_eq!(e.party.as_deref(), Some("ALICE"));
    assert_eq!(e.expected_shape.as_deref(), Some("[3, ?]"));
    assert_eq!(e.file, Some(dir.join("x.npy")));
    assert_eq!(e.message, "the file holds a tensor of shape [2, 3]");
    let fits = Shape::Ranked(vec![Dim::Unknown, Dim::Known(3)]);
    assert_eq!(load_checked(&dir, "x.npy", "ALICE", &fits).ok(), Some(m.clone()));
    assert!(load_checked(&dir, "x.npy", "ALICE", &Shape::Unknown).is_ok());
    assert!(load_checked(&dir, "x.npy", "BOB", &Shape::known(&[6])).is_err());
    let e = err_of(load_checked(&dir, "gone.npy", "BOB", &Shape::known(&[6])));
    assert_eq!(
        (e.kind, e.party.as_deref(), e.expected_shape.as_deref()),
        (ErrorKind::MissingFile, Some("BOB"), Some("[6]"))
    );
}

#[test]
fn csv_loading_rules() {
    let dir = temp_dir("csv");
    write(&dir, "h.csv", b"x1, x2\n1, 2.5\n-3,4e1\n\n");
    assert_eq!(load(&dir, "h.csv").ok(), Some(arr2(&[[1.0, 2.5], [-3.0, 40.0]]).into_dyn()));
    write(&dir, "bom.csv", b"\xef\xbb\xbf1,2\n");
    assert_eq!(load(&dir, "bom.csv").ok(), Some(arr2(&[[1.0, 2.0]]).into_dyn()));
    write(&dir, "col.csv", b"1\n2\n3\n");
    assert_eq!(load(&dir, "col.csv").ok().map(|t| t.shape().to_vec()), Some(vec![3, 1]));
    write(&dir, "cell.csv", b"a,b\n1,2\n3,x\n");
    let e = err_of(load(&dir, "cell.csv"));
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::MalformedFile, "row 3, column 2: `x` is not a number"));
    write(&dir, "mixed.csv", b"1,oops\n2,3\n");
    assert_eq!(err_of(load(&dir, "mixed.csv")).message, "row 1, column 2: `oops` is not a number");
    write(&dir, "ragged.csv", b"1,2\n3\n");
    assert_eq!(err_of(load(&dir, "ragged.csv")).message, "row 2 has 1 cells but earlier rows have 2");
    write(&dir, "empty.csv", b"");
    assert_eq!(err_of(load(&dir, "empty.csv")).kind, ErrorKind::MalformedFile);
    write(&dir, "header_only.csv", b"a,b\n");
    assert!(err_of(load(&dir, "header_only.csv")).message.contains("no rows"));
}

#[test]
fn csv_saving_round_trips() {
    let dir = temp_dir("csvsave");
    let m = arr2(&[[0.1, -2.0], [1.0 / 3.0, 1e20]]).into_dyn();
    assert!(save(&dir, "m.csv", &m).is_ok());
    assert_eq!(load(&dir, "m.csv").ok(), Some(m));
    let v = arr1(&[1.0, 2.0]).into_dyn();
    assert!(save(&dir, "v.csv", &v).is_ok());
    assert_eq!(load(&dir, "v.csv").ok(), Some(arr2(&[[1.0], [2.0]]).into_dyn()));
    let cube = ArrayD::<f64>::zeros(ndarray::IxDyn(&[2, 2, 2]));
    assert_eq!(save(&dir, "c.csv", &cube).err().map(|e| e.kind), Some(ErrorKind::Shape));
}

fn write_npz(path: &Path, entries: &[(&str, Tensor)], compressed: bool) {
    use std::io::Write;
    let Ok(file) = std::fs::File::create(path) else {
        return;
    };
    let mut zip = zip::ZipWriter::new(file);
    let method = if compressed { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, value) in entries {
        zip.start_file(format!("{name}.npy"), options).ok();
        zip.write_all(&npy::encode_npy(value).unwrap()).ok();
    }
    zip.finish().ok();
}

#[test]
fn npz_entries() {
    let dir = temp_dir("npz");
    let a = arr1(&[1.0, 2.0]).into_dyn();
    let b = arr2(&[[3.0]]).into_dyn();
    write_npz(&dir.join("two.npz"), &[("a", a.clone()), ("b", b.clone())], false);
    write_npz(&dir.join("one.npz"), &[("only", a.clone())], true);
    assert_eq!(load(&dir, "two.npz:b").ok(), Some(b));
    assert_eq!(load(&dir, "two.npz:a").ok(), Some(a.clone()));
    assert_eq!(load(&dir, "one.npz").ok(), Some(a));
    let e = err_of(load(&dir, "two.npz"));
    assert_eq!(e.message, "the archive holds 2 arrays (a, b); name one as `file.npz:a`");
    let e = err_of(load(&dir, "two.npz:c"));
    assert_eq!(e.message, "the archive has no array `c` (it holds: a, b)");
    write(&dir, "bad.npz", b"PK not really");
    let e = err_of(load(&dir, "bad.npz"));
    assert_eq!(e.kind, ErrorKind::MalformedFile);
    assert!(e.message.starts_with("not a valid .npz"), "{}", e.message);
}

#[test]
fn paths_stay_inside_the_data_folder() {
    let dir = temp_dir("paths");
    for bad in ["../x.npy", "/etc/x.npy", "a/../../x.npy", ""] {
        assert_eq!(resolve(&dir, bad).err().map(|e| e.kind), Some(ErrorKind::Config), "{bad}");
    }
    assert_eq!(resolve(&dir, "x.txt").err().map(|e| e.kind), Some(ErrorKind::Config));
    let (file, format) =
        resolve(&dir, "d/x.NPZ:w").unwrap_or_else(|e| (PathBuf::new(), Format::Npz { entry: Some(e.message) }));
    assert_eq!((file, format), (dir.join("d/x.NPZ"), Format::Npz { entry: Some("w".into()) }));
    assert_eq!(save(&dir, "../out.npy", &arr0(1.0).into_dyn()).err().map(|e| e.kind), Some(ErrorKind::Config));
}

#[test]
fn onnx_initializers_and_safetensors_entries() {
    let dir = temp_dir("models");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onnx");
    for name in ["mlp.onnx", "truncated.onnx", "weights.safetensors"] {
        let bytes = std::fs::read(fixtures.join(name)).unwrap();
        write(&dir, name, &bytes);
    }
    // PyTorch's Linear(16, 12): the weight is [out, in].
    let w = load(&dir, "mlp.onnx:fc1.weight").unwrap();
    assert_eq!(w.shape(), &[12, 16]);
    let s = load(&dir, "weights.safetensors:fc1.weight").unwrap();
    assert_eq!(s, w, "the safetensors fixture holds the same weight");
    let e = err_of(load(&dir, "mlp.onnx:fc9.weight"));
    assert!(e.message.contains("no tensor `fc9.weight`") && e.message.contains("`fc1.bias`"), "{}", e.message);
    let e = err_of(load(&dir, "mlp.onnx"));
    assert!(e.message.contains("name the tensor to read: `mlp.onnx:NAME`"), "{}", e.message);
    let e = err_of(load(&dir, "truncated.onnx:fc1.weight"));
    assert_eq!(e.kind, ErrorKind::MalformedFile);
    assert!(e.message.contains("malformed model file"), "{}", e.message);
    let e = err_of(load(&dir, "weights.safetensors:nope"));
    assert!(e.message.contains("no tensor `nope`"), "{}", e.message);
}

#[test]
fn load_shape_reads_headers_only() {
    let dir = temp_dir("shape");
    let big = Tensor::zeros(ndarray::IxDyn(&[3, 700]));
    save(&dir, "big.npy", &big).ok();
    // Cut after the header: the shape is still there, the data is not.
    let bytes = std::fs::read(dir.join("big.npy")).unwrap_or_default();
    let header = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    write(&dir, "cut.npy", &bytes[..header]);
    assert_eq!(load_shape(&dir, "big.npy").ok(), Some(vec![3, 700]));
    assert_eq!(load_shape(&dir, "cut.npy").ok(), Some(vec![3, 700]));
    assert_eq!(err_of(load(&dir, "cut.npy")).kind, ErrorKind::MalformedFile);
    let a = arr1(&[1.0, 2.0]).into_dyn();
    let b = arr2(&[[3.0], [4.0], [5.0]]).into_dyn();
    write_npz(&dir.join("two.npz"), &[("a", a.clone()), ("b", b)], true);
    write_npz(&dir.join("one.npz"), &[("only", a)], false);
    assert_eq!(load_shape(&dir, "two.npz:b").ok(), Some(vec![3, 1]));
    assert_eq!(load_shape(&dir, "one.npz").ok(), Some(vec![2]));
    assert!(load_shape(&dir, "two.npz").is_err());
    write(&dir, "v.csv", b"1,2,3\n4,5,6\n");
    assert_eq!(load_shape(&dir, "v.csv").ok(), Some(vec![2, 3]));
    assert_eq!(load_shape(&dir, "missing.npy").err().map(|e| e.kind), Some(ErrorKind::MissingFile));
    write(&dir, "junk.npy", b"not an npy file at all");
    assert_eq!(load_shape(&dir, "junk.npy").err().map(|e| e.kind), Some(ErrorKind::MalformedFile));
}

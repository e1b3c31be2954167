//! The language server from a real editor: Neovim, headless, with its built-in LSP client
//! (`tests/fixtures/nvim/drive.lua`) against `mpcc lsp` on a program with a leak. The
//! diagnostic must appear at the right line with its code, hover must show the label, and the
//! diagnostic must go away once the fix is typed. Skipped, saying so, where `nvim` is not
//! installed (`.ci/run` installs Debian's `neovim`).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LEAK: &str = "parties ALICE, BOB;\nlet s = private(src=ALICE, ones(3));\nlet t = s * 2;\nprint(t);\n";

fn nvim_available() -> bool {
    Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn neovim_shows_the_leak_its_label_and_clears_it_after_the_fix() {
    if !nvim_available() {
        eprintln!("skipped: `nvim` is not installed (Debian: `apt-get install neovim`; .ci/run installs it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mpcc-nvim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("leak.mpc");
    let out = dir.join("seen.json");
    std::fs::write(&file, LEAK).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nvim/drive.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("MPCC", env!("CARGO_BIN_EXE_mpcc"))
        .env("MPCC_FILE", &file)
        .env("MPCC_OUT", &out)
        .env("MPCC_HOVER", "2:4") // the `t` of `let t = s * 2;`
        .env("MPCC_FIX", "3:print(reveal(t));")
        .env("HOME", &dir) // no user configuration, no shada
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nvim starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("the script wrote its findings")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(seen["error"], Value::Null, "the script failed: {seen}");
    assert_eq!(seen["attached"], Value::Bool(true), "{seen}");
    let before = seen["before"].as_array().expect("diagnostics before the fix");
    assert_eq!(before.len(), 1, "one diagnostic for the leak: {seen}");
    assert_eq!(before[0]["line"], 3, "on the `print(t)` line: {seen}");
    assert_eq!(before[0]["col"], 6, "at the argument `t`: {seen}");
    assert_eq!(before[0]["code"], "E0301", "{seen}");
    let hover = seen["hover"].as_str().expect("hover text");
    assert!(hover.contains("private (from ALICE) real [3]"), "hover shows the label: {hover}");
    assert_eq!(seen["after"].as_array().map(Vec::len), Some(0), "the fix clears the diagnostic: {seen}");
}

//! `mpcc lsp` driven as an editor drives it: JSON-RPC with Content-Length framing over the real
//! binary's stdin/stdout. Every read has a timeout, so a hung server fails the test, never CI.
//! Also: the LSP diagnostics agree with `mpcc check --message-format json` on every rejected
//! golden program. (That the VS Code grammar names exactly the builtins is checked in `tidy.rs`.)

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// One server process and the messages it has sent, read on a separate thread.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Messages read but not yet asked for, oldest first.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(debug: bool) -> Client {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mpcc"));
        command.arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        if debug {
            command.env("MPCC_LSP_DEBUG", "1");
        }
        let mut child = command.spawn().expect("mpcc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client { child, stdin, messages, backlog: Vec::new(), next_id: 1 };
        let init = client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        assert_eq!(init["result"]["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync: {init}");
        assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (result or error), skipping other messages.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("the response to `{method}`"), |m| m["id"] == id && m.get("method").is_none())
    }

    /// The oldest message that satisfies `pred`; panics (with what did arrive) after [`TIMEOUT`].
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if pred(&m) => return m,
                Ok(m) => self.backlog.push(m),
                Err(e) => panic!("waiting for {what}: {e}; other messages: {:#?}", self.backlog),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let m = self.wait_for(&format!("diagnostics of {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"].clone()
    }

    /// `shutdown`, `exit`, and the process's exit code.
    fn finish(mut self) -> Option<i32> {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit within {TIMEOUT:?}");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one `Content-Length`-framed JSON message; `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn open(client: &mut Client, uri: &str, text: &str) {
    let doc = json!({ "uri": uri, "languageId": "mpc", "version": 1, "text": text });
    client.notify("textDocument/didOpen", json!({ "textDocument": doc }));
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

// Line 4 has a 2-unit character before `y`, so byte, char and UTF-16 columns all differ there.
const PROGRAM: &str = "parties ALICE, BOB;\n\
fn double(v) { return v * 2; }\n\
let x = private(src=ALICE, zeros([2, 3]));\n\
let y = double(x);\n\
print(/*𝑥*/y);\n";

#[test]
fn an_editor_session_gets_diagnostics_hover_and_definitions() {
    let uri = "file:///tmp/session.mpc";
    let mut client = Client::start(false);
    open(&mut client, uri, PROGRAM);
    let published = client.diagnostics(uri);
    let diags = published["diagnostics"].as_array().expect("a list");
    assert_eq!(diags.len(), 1, "{published:#}");
    let d = &diags[0];
    assert_eq!(d["code"], "E0301");
    assert_eq!(d["severity"], 1);
    // `print(/*𝑥*/` is 12 UTF-16 units (14 bytes, 11 characters).
    assert_eq!(d["range"], json!({ "start": pos(4, 12), "end": pos(4, 13) }), "{d:#}");
    let message = d["message"].as_str().expect("message");
    assert!(message.starts_with("private value passed to `print`"), "{message}");
    assert!(message.contains("\nhelp: "), "{message}");
    assert!(message.contains("ALICE"), "the provenance note: {message}");
    let related = d["relatedInformation"].as_array().expect("related information");
    assert_eq!(related[0]["location"]["uri"], uri);
    assert_eq!(related[0]["location"]["range"]["start"]["line"], 2, "ALICE's input: {related:#?}");

    // Hover on the private `x` (its use in `double(x)`).
    let hover = client.request("textDocument/hover", at(uri, 3, 15));
    let text = hover["result"]["contents"]["value"].as_str().expect("hover text");
    assert!(text.contains("private") && text.contains("ALICE") && text.contains("[2, 3]"), "{text}");
    // Hover on a builtin gives its rule.
    let hover = client.request("textDocument/hover", at(uri, 2, 29));
    let text = hover["result"]["contents"]["value"].as_str().expect("hover text");
    assert!(text.contains("zeros(shape)"), "{text}");

    // Definitions: a variable's `let`, a function, a function's parameter.
    let def = client.request("textDocument/definition", at(uri, 3, 15));
    assert_eq!(def["result"]["uri"], uri);
    assert_eq!(def["result"]["range"], json!({ "start": pos(2, 4), "end": pos(2, 5) }), "{def:#}");
    let def = client.request("textDocument/definition", at(uri, 3, 10));
    assert_eq!(def["result"]["range"]["start"], pos(1, 3), "{def:#}");
    let def = client.request("textDocument/definition", at(uri, 1, 22));
    assert_eq!(def["result"]["range"]["start"], pos(1, 10), "{def:#}");

    // An incremental edit fixes the error: `y` → `reveal(y)`.
    let change = json!({ "range": { "start": pos(4, 12), "end": pos(4, 13) }, "text": "reveal(y)" });
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [change] }),
    );
    let published = client.diagnostics(uri);
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]), "{published:#}");

    // Half-typed text, every prefix of the program as full-text changes, then a hover: answered.
    for (version, end) in PROGRAM.char_indices().map(|(i, _)| i).enumerate() {
        let text = &PROGRAM[..end];
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 3 + version }, "contentChanges": [{ "text": text }] }),
        );
    }
    let half = "parties ALICE;\nlet z = private(src=ALI";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 1000 }, "contentChanges": [{ "text": half }] }),
    );
    let published = client.wait_for("the half-typed document's diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1000
    });
    assert!(!published["params"]["diagnostics"].as_array().expect("list").is_empty(), "{published:#}");
    let hover = client.request("textDocument/hover", at(uri, 1, 5));
    assert!(hover.get("error").is_none(), "{hover:#}");

    assert_eq!(client.finish(), Some(0));
}

#[test]
fn a_panic_is_reported_and_the_server_keeps_serving() {
    let uri = "file:///tmp/panic.mpc";
    let mut client = Client::start(true);
    open(&mut client, uri, PROGRAM);
    let response = client.request("mpcc/debugPanic", Value::Null);
    assert_eq!(response["error"]["code"], -32603, "{response:#}");
    let log = client.wait_for("the panic's log message", |m| m["method"] == "window/logMessage");
    assert!(log["params"]["message"].as_str().is_some_and(|m| m.contains("panic")), "{log:#}");
    let hover = client.request("textDocument/hover", at(uri, 3, 15));
    assert!(hover["result"]["contents"]["value"].as_str().is_some_and(|t| t.contains("private")), "{hover:#}");
    // Unknown methods and bad params are errors, not crashes.
    assert_eq!(client.request("no/such/method", Value::Null)["error"]["code"], -32601);
    assert_eq!(client.request("textDocument/hover", json!({ "nonsense": 1 }))["error"]["code"], -32602);
    client.notify("textDocument/didOpen", json!({ "textDocument": { "uri": 3 } }));
    let log = client.wait_for("the warning about bad params", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"].as_str().is_some_and(|t| t.contains("invalid params"))
    });
    assert_eq!(log["params"]["type"], 2, "a warning: {log:#}");
    assert_eq!(client.finish(), Some(0));
}

#[test]
fn requests_after_shutdown_are_refused_and_exit_without_shutdown_is_an_error() {
    let mut client = Client::start(false);
    assert_eq!(client.request("shutdown", Value::Null)["result"], Value::Null);
    let refused = client.request("textDocument/hover", at("file:///x.mpc", 0, 0));
    assert_eq!(refused["error"]["code"], -32600, "{refused:#}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), Some(0));

    let mut client = Client::start(false);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), Some(1));
}

/// (line, column) as `mpcc check` counts them (1-based, columns in characters) of an LSP position.
fn check_line_col(text: &str, position: &Value) -> (u64, u64) {
    let line = position["line"].as_u64().expect("line");
    let units = position["character"].as_u64().expect("character");
    let line_text = text.split('\n').nth(line as usize).unwrap_or("");
    let mut seen = 0;
    let chars = line_text.chars().take_while(|c| {
        seen += c.len_utf16() as u64;
        seen <= units
    });
    (line + 1, chars.count() as u64 + 1)
}

fn json_range(range: &Value) -> ((u64, u64), (u64, u64)) {
    let n = |k: &str| range[k].as_u64().expect("a number");
    ((n("line_start"), n("column_start")), (n("line_end"), n("column_end")))
}

fn lsp_range(text: &str, range: &Value) -> ((u64, u64), (u64, u64)) {
    (check_line_col(text, &range["start"]), check_line_col(text, &range["end"]))
}

#[test]
fn lsp_diagnostics_agree_with_check_json_on_every_rejected_golden_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/golden/reject"))
        .expect("the reject folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mpc"))
        // These documents have no file on disk (their URIs are made up), so their `use` items
        // cannot be read; the programs about used files are compared by the command line's tests.
        .filter(|p| !std::fs::read_to_string(p).unwrap_or_default().contains("\nuse \""))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "found {} reject programs", files.len());
    let mut client = Client::start(false);
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).expect("read");
        let uri = format!("file:///golden/{i}.mpc");
        open(&mut client, &uri, &text);
        let lsp = client.diagnostics(&uri)["diagnostics"].as_array().expect("list").clone();
        let out = Command::new(env!("CARGO_BIN_EXE_mpcc"))
            .args(["check", "--message-format", "json"])
            .arg(file)
            .output()
            .expect("mpcc check runs");
        let check: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        let name = file.display();
        assert!(!check.is_empty(), "{name}: mpcc check reports nothing");
        assert_eq!(lsp.len(), check.len(), "{name}: {lsp:#?}\nvs\n{check:#?}");
        for (l, c) in lsp.iter().zip(&check) {
            assert_eq!(l["code"], c["code"], "{name}");
            let severity = if c["severity"] == "error" { 1 } else { 2 };
            assert_eq!(l["severity"], severity, "{name}");
            let message = l["message"].as_str().expect("message");
            assert_eq!(message.lines().next(), c["message"].as_str(), "{name}");
            assert_eq!(lsp_range(&text, &l["range"]), json_range(&c["range"]), "{name}: {l:#}");
            for note in c["notes"].as_array().expect("notes") {
                let note = note.as_str().expect("a note");
                assert!(message.contains(&format!("note: {note}")), "{name}: {message}");
            }
            if let Some(help) = c["help"].as_str() {
                assert!(message.contains(&format!("help: {help}")), "{name}: {message}");
            }
            let secondary: Vec<_> =
                c["labels"].as_array().expect("labels").iter().filter(|l| l["primary"] == false).collect();
            let related = l["relatedInformation"].as_array().cloned().unwrap_or_default();
            assert_eq!(related.len(), secondary.len(), "{name}: {l:#}");
            for (r, s) in related.iter().zip(&secondary) {
                assert_eq!(r["message"], s["message"], "{name}");
                assert_eq!(lsp_range(&text, &r["location"]["range"]), json_range(&s["range"]), "{name}");
            }
        }
    }
    assert_eq!(client.finish(), Some(0));
}

#[test]
fn a_document_reads_its_used_files_from_disk() {
    let dir = std::env::temp_dir().join(format!("mpcc-lsp-use-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    std::fs::write(dir.join("m.mpc"), "fn double(v) { return v * 2; }\n").expect("write");
    std::fs::write(dir.join("bad.mpc"), "fn f() { return nope; }\n").expect("write");
    let mut client = Client::start(false);
    let good = format!("file://{}", dir.join("main.mpc").display());
    open(&mut client, &good, "use \"m.mpc\";\nparties ALICE, BOB;\nprint(double(ones(2)));\n");
    let diags = client.diagnostics(&good)["diagnostics"].as_array().expect("a list").clone();
    assert!(diags.is_empty(), "the used file is found: {diags:#?}");
    let bad = format!("file://{}", dir.join("other.mpc").display());
    open(&mut client, &bad, "use \"bad.mpc\";\nparties ALICE, BOB;\nprint(f());\n");
    let diags = client.diagnostics(&bad)["diagnostics"].as_array().expect("a list").clone();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "E0101", "{diags:#?}");
    assert_eq!(diags[0]["range"]["start"]["line"], 0, "shown on the `use` line: {diags:#?}");
    assert!(diags[0]["message"].as_str().is_some_and(|m| m.starts_with("in a used file:")), "{diags:#?}");
}

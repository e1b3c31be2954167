//! The server's main loop: initialize, then requests and notifications until `exit`.
//!
//! Each message is handled inside `catch_unwind`: a panic while handling a request becomes an
//! `InternalError` response plus a `window/logMessage`, and the server keeps serving. Diagnostics
//! are published for every changed document once no further message is waiting (so a burst of
//! keystrokes compiles once). Requests after `shutdown` get `InvalidRequest`; `exit` ends the
//! loop with 0 after a `shutdown` and 1 without one, as the spec asks.

use super::convert;
use super::documents::Documents;
use super::position::LineIndex;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{GotoDefinition, HoverRequest, Request as _, Shutdown};
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverContents, HoverParams, HoverProviderCapability, Location, LogMessageParams,
    MarkupContent, MarkupKind, MessageType, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, Uri,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A request that panics on purpose, answered only when `MPCC_LSP_DEBUG=1`; it lets the tests
/// check that a panic is caught and the server keeps serving.
const DEBUG_PANIC: &str = "mpcc/debugPanic";

/// How the loop ended.
pub enum Outcome {
    /// `exit` arrived (or the client closed the stream): the reader thread has stopped.
    Exited(u8),
    /// The session ended (or broke) before `initialize` and `initialized`; the reader thread
    /// may still be blocked.
    Failed,
}

struct Server<'a> {
    connection: &'a Connection,
    docs: Documents,
    /// Documents whose diagnostics must be republished, with the URI to publish under.
    dirty: BTreeMap<String, Uri>,
    shut_down: bool,
    debug: bool,
}

enum Flow {
    Continue,
    Exit(u8),
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Runs the server on `connection` until `exit`.
pub fn serve(connection: &Connection) -> Outcome {
    let Ok((id, _params)) = connection.initialize_start() else {
        return Outcome::Failed;
    };
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "mpcc", "version": env!("CARGO_PKG_VERSION") },
    });
    if connection.initialize_finish(id, result).is_err() {
        return Outcome::Failed;
    }
    let mut server = Server {
        connection,
        docs: Documents::default(),
        dirty: BTreeMap::new(),
        shut_down: false,
        debug: std::env::var("MPCC_LSP_DEBUG").is_ok_and(|v| v == "1"),
    };
    loop {
        let Ok(message) = connection.receiver.recv() else {
            // The client went away without `exit`.
            return Outcome::Exited(1);
        };
        if let Flow::Exit(code) = server.handle(message) {
            return Outcome::Exited(code);
        }
        // Handle what is already waiting before compiling, so a burst of changes compiles once.
        while let Ok(message) = connection.receiver.try_recv() {
            if let Flow::Exit(code) = server.handle(message) {
                return Outcome::Exited(code);
            }
        }
        server.publish_dirty();
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

impl Server<'_> {
    fn send(&self, message: Message) {
        // A send fails only when the writer thread is gone; the loop then ends on its own.
        let _ = self.connection.sender.send(message);
    }

    fn log(&self, typ: MessageType, message: String) {
        let params = LogMessageParams { typ, message };
        self.send(Notification::new(LogMessage::METHOD.to_string(), params).into());
    }

    fn handle(&mut self, message: Message) -> Flow {
        match message {
            Message::Request(req) => {
                let id = req.id.clone();
                let method = req.method.clone();
                match catch_unwind(AssertUnwindSafe(|| self.request(req))) {
                    Ok(response) => self.send(response.into()),
                    Err(payload) => {
                        let text = format!("mpcc lsp: panic while handling `{method}`: {}", panic_text(&*payload));
                        self.log(MessageType::ERROR, text.clone());
                        self.send(Response::new_err(id, ErrorCode::InternalError as i32, text).into());
                    }
                }
                Flow::Continue
            }
            Message::Notification(note) => {
                if note.method == "exit" {
                    return Flow::Exit(if self.shut_down { 0 } else { 1 });
                }
                let method = note.method.clone();
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.notification(note))) {
                    let text = format!("mpcc lsp: panic while handling `{method}`: {}", panic_text(&*payload));
                    self.log(MessageType::ERROR, text);
                }
                Flow::Continue
            }
            // The server sends no requests, so responses are unexpected; ignore them.
            Message::Response(_) => Flow::Continue,
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        if self.shut_down {
            return Response::new_err(id, ErrorCode::InvalidRequest as i32, "the server is shut down".into());
        }
        let invalid = |e: serde_json::Error| {
            Response::new_err(req.id.clone(), ErrorCode::InvalidParams as i32, format!("invalid params: {e}"))
        };
        match req.method.as_str() {
            Shutdown::METHOD => {
                self.shut_down = true;
                Response::new_ok(id, Value::Null)
            }
            HoverRequest::METHOD => match serde_json::from_value::<HoverParams>(req.params.clone()) {
                Ok(params) => Response::new_ok(id, self.hover(&params)),
                Err(e) => invalid(e),
            },
            GotoDefinition::METHOD => match serde_json::from_value::<GotoDefinitionParams>(req.params.clone()) {
                Ok(params) => Response::new_ok(id, self.definition(&params)),
                Err(e) => invalid(e),
            },
            DEBUG_PANIC if self.debug => panic!("`{DEBUG_PANIC}` was asked to panic"),
            _ => Response::new_err(id, ErrorCode::MethodNotFound as i32, format!("unknown method `{}`", req.method)),
        }
    }

    fn notification(&mut self, note: Notification) {
        let method = note.method.clone();
        let result = match method.as_str() {
            DidOpenTextDocument::METHOD => note.extract::<DidOpenTextDocumentParams>(&method).map(|params| {
                let doc = params.text_document;
                self.docs.open(doc.uri.as_str(), doc.text, doc.version);
                self.dirty.insert(doc.uri.as_str().to_string(), doc.uri);
            }),
            DidChangeTextDocument::METHOD => note.extract::<DidChangeTextDocumentParams>(&method).map(|params| {
                let uri = params.text_document.uri;
                if let Some(doc) = self.docs.get_mut(uri.as_str()) {
                    doc.apply(params.text_document.version, params.content_changes);
                    self.dirty.insert(uri.as_str().to_string(), uri);
                }
            }),
            DidCloseTextDocument::METHOD => note.extract::<DidCloseTextDocumentParams>(&method).map(|params| {
                let uri = params.text_document.uri;
                self.docs.close(uri.as_str());
                self.dirty.remove(uri.as_str());
                let params = PublishDiagnosticsParams::new(uri, Vec::new(), None);
                self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
            }),
            // `initialized`, `didSave`, `$/cancelRequest`, settings: nothing to do.
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log(MessageType::WARNING, format!("mpcc lsp: ignored `{method}` with invalid params: {e:?}"));
        }
    }

    /// Compiles every changed document and publishes its diagnostics.
    fn publish_dirty(&mut self) {
        for (key, uri) in std::mem::take(&mut self.dirty) {
            let Some(doc) = self.docs.get_mut(&key) else { continue };
            let published = catch_unwind(AssertUnwindSafe(|| {
                let version = doc.version;
                let diagnostics = {
                    let text = doc.text.clone();
                    let analysis = doc.analysis();
                    let index = LineIndex::new(&text);
                    analysis.diagnostics.iter().map(|d| convert::diagnostic(&index, &uri, d)).collect()
                };
                PublishDiagnosticsParams::new(uri.clone(), diagnostics, Some(version))
            }));
            match published {
                Ok(params) => self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into()),
                Err(payload) => {
                    let text = format!("mpcc lsp: panic while checking `{key}`: {}", panic_text(&*payload));
                    self.log(MessageType::ERROR, text);
                }
            }
        }
    }

    fn hover(&mut self, params: &HoverParams) -> Option<Hover> {
        let at = &params.text_document_position_params;
        let doc = self.docs.get_mut(at.text_document.uri.as_str())?;
        let text = doc.text.clone();
        let index = LineIndex::new(&text);
        let offset = index.offset(at.position);
        let analysis = doc.analysis();
        let (markdown, span) = convert::hover_markdown(&text, &analysis.symbols, &analysis.headers, offset)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
            range: Some(convert::range(&index, span)),
        })
    }

    fn definition(&mut self, params: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let at = &params.text_document_position_params;
        let uri = at.text_document.uri.clone();
        let doc = self.docs.get_mut(uri.as_str())?;
        let text = doc.text.clone();
        let index = LineIndex::new(&text);
        let span = convert::definition(&doc.analysis().symbols, index.offset(at.position))?;
        Some(GotoDefinitionResponse::Scalar(Location::new(uri, convert::range(&index, span))))
    }
}

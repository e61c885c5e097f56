//! The server loop: lifecycle, dispatch, and when diagnostics are computed.
//!
//! **Order.** Messages are handled one at a time, in the order they arrived, on
//! one thread. A document notification only updates the text and marks its
//! project dirty; compiling waits until the queue is drained: all messages the
//! reader had received are taken as one batch, so a burst of `didChange`s costs
//! one compile of the newest text. A request compiles what is dirty before it
//! answers, so it sees every edit sent before it. Diagnostics are published
//! right after their compile, with the document's `version`. As no compile of an
//! older text can start after one of a newer text, and publishing is synchronous,
//! results for an older version are never published after newer ones.
//!
//! **Robustness.** Every request and notification is handled under
//! `catch_unwind`: a bug answers one request with `InternalError` (or is logged
//! to stderr for a notification) and the server goes on. Bad parameters get
//! `InvalidParams`, unknown requests `MethodNotFound`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use lsp_server::{ErrorCode, Message, Notification, Request, Response, ResponseError};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument,
    DidOpenTextDocument, DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability, Hover,
    HoverContents, HoverParams, HoverProviderCapability, InitializeParams, InitializeResult,
    MarkupContent, MarkupKind, PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;

use super::convert::Convert;
use super::documents::Documents;
use super::explain::Links;
use super::settings::{self, Settings};
use super::transport::{self, Incoming};
use super::{actions, hover, project, uri};
use crate::compile::{self, Compilation};
use crate::span::LineIndex;

/// Runs until `exit` or the end of the input; returns the process exit code:
/// 0 after `shutdown` then `exit`, 1 otherwise (as the protocol asks).
pub fn serve(incoming: Receiver<Incoming>, out: impl Write, env: BTreeMap<String, String>) -> u8 {
    let mut server = Server::new(out, env);
    while let Ok(first) = incoming.recv() {
        let batch: Vec<Incoming> = std::iter::once(first).chain(incoming.try_iter()).collect();
        match server.batch(batch) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit(code)) => return code,
            Err(e) => {
                eprintln!("quickback-kv lsp: cannot write to the client, stopping: {e}");
                return 1;
            }
        }
    }
    // The client closed the input without `exit`.
    if server.state == State::ShutDown {
        0
    } else {
        1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

pub enum Flow {
    Continue,
    Exit(u8),
}

/// The latest compile of one config, kept for hover and code actions.
struct Analysis {
    root: PathBuf,
    compilation: Compilation,
    /// Every URI the last publish went to, to clear those that no longer have diagnostics.
    published: BTreeSet<Uri>,
}

pub struct Server<W: Write> {
    out: W,
    state: State,
    documents: Documents,
    /// `process.env` for the config: the server's own environment.
    env: BTreeMap<String, String>,
    links: Links,
    /// The paths the CLI takes as flags, from the client's settings.
    settings: Settings,
    /// By config path.
    analyses: BTreeMap<PathBuf, Analysis>,
    /// Files changed since the last compile; a config is recompiled when one is its input.
    dirty: Vec<PathBuf>,
}

type Reply = Result<serde_json::Value, ResponseError>;

impl<W: Write> Server<W> {
    pub fn new(out: W, env: BTreeMap<String, String>) -> Server<W> {
        Server {
            out,
            state: State::Uninitialized,
            documents: Documents::default(),
            env,
            links: Links::default(),
            settings: Settings::default(),
            analyses: BTreeMap::new(),
            dirty: Vec::new(),
        }
    }

    /// Handles messages in order, then compiles what they made dirty.
    pub fn batch(&mut self, batch: Vec<Incoming>) -> io::Result<Flow> {
        for incoming in batch {
            if let Flow::Exit(code) = self.handle(incoming)? {
                return Ok(Flow::Exit(code));
            }
        }
        self.flush()?;
        Ok(Flow::Continue)
    }

    fn handle(&mut self, incoming: Incoming) -> io::Result<Flow> {
        match incoming {
            Incoming::Malformed { code, message } => {
                transport::write_malformed(&mut self.out, code, &message)?
            }
            Incoming::Message(Message::Request(request)) => self.request(request)?,
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => {
                return Ok(Flow::Exit(if self.state == State::ShutDown {
                    0
                } else {
                    1
                }));
            }
            Incoming::Message(Message::Notification(n)) => self.notification(n),
            // The server sends no requests, so there is nothing to match a response to.
            Incoming::Message(Message::Response(_)) => {}
        }
        Ok(Flow::Continue)
    }

    fn request(&mut self, request: Request) -> io::Result<()> {
        let id = request.id.clone();
        let reply = match (self.state, request.method.as_str()) {
            (State::Uninitialized, "initialize") => self.initialize(request),
            (State::Uninitialized, _) => Err(error(
                ErrorCode::ServerNotInitialized,
                "the server has not been initialized".into(),
            )),
            (State::ShutDown, _) => Err(error(
                ErrorCode::InvalidRequest,
                "the server is shutting down; only `exit` is accepted".into(),
            )),
            (State::Running, "initialize") => Err(error(
                ErrorCode::InvalidRequest,
                "`initialize` was already received".into(),
            )),
            (State::Running, "shutdown") => {
                self.state = State::ShutDown;
                Ok(serde_json::Value::Null)
            }
            (State::Running, _) => {
                // Answers reflect every edit received before the request.
                self.flush()?;
                let method = request.method.clone();
                guarded(|| self.dispatch(request)).unwrap_or_else(|panic| {
                    Err(error(
                        ErrorCode::InternalError,
                        format!("quickback-kv failed on {method} (this is a bug): {panic}"),
                    ))
                })
            }
        };
        self.send(Response {
            id,
            response_result: reply,
        })
    }

    fn dispatch(&mut self, request: Request) -> Reply {
        match request.method.as_str() {
            HoverRequest::METHOD => to_value(self.hover(params(request)?)),
            CodeActionRequest::METHOD => to_value(self.code_actions(params(request)?)),
            method => Err(error(
                ErrorCode::MethodNotFound,
                format!("unknown request {method}"),
            )),
        }
    }

    fn initialize(&mut self, request: Request) -> Reply {
        let params: InitializeParams = params(request)?;
        let docs_url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("diagnosticsUrl")?.as_str().map(str::to_string));
        self.links = Links::new(docs_url);
        self.settings = read_settings(params.initialization_options.as_ref());
        self.state = State::Running;
        to_value(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(server_info()),
        })
    }

    /// Notifications before `initialize` and after `shutdown` are dropped, as the protocol asks.
    fn notification(&mut self, n: Notification) {
        if self.state != State::Running {
            return;
        }
        let method = n.method.clone();
        match guarded(|| self.document_event(n)) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => eprintln!("quickback-kv lsp: ignoring {method}: {message}"),
            Err(panic) => {
                eprintln!("quickback-kv lsp: failed on {method} (this is a bug): {panic}")
            }
        }
    }

    fn document_event(&mut self, n: Notification) -> Result<(), String> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = notification_params(n)?;
                let d = p.text_document;
                let path = self.documents.open(d.uri, d.version, d.text).path.clone();
                self.dirty.extend(path);
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = notification_params(n)?;
                let d = p.text_document;
                let path = self
                    .documents
                    .change(&d.uri, d.version, p.content_changes)?
                    .path
                    .clone();
                self.dirty.extend(path);
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp_types::DidSaveTextDocumentParams = notification_params(n)?;
                self.dirty.extend(uri::to_path(&p.text_document.uri));
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = notification_params(n)?;
                self.documents.close(&p.text_document.uri);
                self.dirty.extend(uri::to_path(&p.text_document.uri));
            }
            DidChangeWatchedFiles::METHOD => {
                let p: lsp_types::DidChangeWatchedFilesParams = notification_params(n)?;
                self.dirty
                    .extend(p.changes.iter().filter_map(|c| uri::to_path(&c.uri)));
            }
            DidChangeConfiguration::METHOD => {
                let p: lsp_types::DidChangeConfigurationParams = notification_params(n)?;
                let settings = read_settings(Some(&p.settings));
                if settings != self.settings {
                    self.settings = settings;
                    // Every config is compiled again with the new paths.
                    self.dirty.extend(self.analyses.keys().cloned());
                }
            }
            // `initialized`, `$/cancelRequest` (requests are answered before the next
            // message is read, so there is nothing to cancel), `$/setTrace`.
            _ => {}
        }
        Ok(())
    }

    /// Compiles every live config whose project saw a change, and publishes.
    fn flush(&mut self) -> io::Result<()> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let dirty = std::mem::take(&mut self.dirty);
        let live = project::live_configs(&self.documents);
        let gone: Vec<PathBuf> = self
            .analyses
            .keys()
            .filter(|c| !live.contains_key(*c))
            .cloned()
            .collect();
        for config in gone {
            for uri in self
                .analyses
                .remove(&config)
                .map(|a| a.published)
                .unwrap_or_default()
            {
                self.publish(uri, Vec::new())?;
            }
        }
        for (config, root) in live {
            if !self.analyses.contains_key(&config)
                || dirty
                    .iter()
                    .any(|p| project::affects(&config, &root, &self.settings, p))
            {
                match guarded(|| self.analyse(&config, &root)) {
                    Ok(publishes) => {
                        for (uri, diagnostics) in publishes {
                            self.publish(uri, diagnostics)?;
                        }
                    }
                    Err(panic) => eprintln!(
                        "quickback-kv lsp: failed to check {} (this is a bug): {panic}",
                        config.display()
                    ),
                }
            }
        }
        Ok(())
    }

    /// Compiles one config and stores the result; returns what to publish, including
    /// empty lists for files whose diagnostics went away.
    fn analyse(&mut self, config: &Path, root: &Path) -> Vec<(Uri, Vec<lsp_types::Diagnostic>)> {
        let inputs = project::inputs(config, root, &self.settings, &self.documents, &self.env);
        let options = project::options(config, root, &self.settings);
        let compilation = compile::compile(&inputs, &options);
        let config_uri = match self.documents.by_path(config) {
            Some(document) => Some(document.uri.clone()),
            None => uri::from_path(config),
        };
        let Some(config_uri) = config_uri else {
            return Vec::new();
        };
        let mut by_uri = Convert::new(&compilation.files, root, &self.documents).by_uri(
            &compilation.diagnostics,
            &self.links,
            &config_uri,
        );
        // The config always gets a publish, so fixing its last problem clears the editor.
        by_uri.entry(config_uri).or_default();
        let previous = self
            .analyses
            .remove(config)
            .map(|a| a.published)
            .unwrap_or_default();
        let cleared: Vec<_> = previous
            .into_iter()
            .filter(|uri| !by_uri.contains_key(uri))
            .map(|uri| (uri, Vec::new()))
            .collect();
        let published = by_uri.keys().cloned().collect();
        let publishes: Vec<_> = cleared.into_iter().chain(by_uri).collect();
        self.analyses.insert(
            config.to_path_buf(),
            Analysis {
                root: root.to_path_buf(),
                compilation,
                published,
            },
        );
        publishes
    }

    fn publish(&mut self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> io::Result<()> {
        let version = self.documents.get(&uri).map(|d| d.version);
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        ))
    }

    fn hover(&self, p: HoverParams) -> Option<Hover> {
        let position = p.text_document_position_params.position;
        let path = uri::to_path(&p.text_document_position_params.text_document.uri)?;
        let analysis = self.analyses.get(&path)?;
        let c = &analysis.compilation;
        let file = c.config_file?;
        let text = c.files.text(file);
        let offset = LineIndex::new(text).offset(text, position.line, position.character);
        let (span, markdown) = hover::hover_at(
            hover::hover_targets(&crate::report::report(c), &c.files),
            file,
            offset,
        )?;
        let range = Convert::new(&c.files, &analysis.root, &self.documents).range(span);
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(range),
        })
    }

    /// Fixes from every analysis that published to this document (a config, or a wrangler file).
    fn code_actions(&self, p: CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let uri = &p.text_document.uri;
        let mut actions = Vec::new();
        for analysis in self.analyses.values().filter(|a| a.published.contains(uri)) {
            let c = &analysis.compilation;
            let mut convert = Convert::new(&c.files, &analysis.root, &self.documents);
            actions.extend(actions::quick_fixes(
                &c.diagnostics,
                &mut convert,
                &self.links,
                uri,
                p.range,
            ));
        }
        actions
    }

    fn send(&mut self, message: impl Into<Message>) -> io::Result<()> {
        transport::write(&mut self.out, message.into())
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

fn server_info() -> ServerInfo {
    ServerInfo {
        name: "quickback-kv".to_string(),
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
    }
}

fn error(code: ErrorCode, message: String) -> ResponseError {
    ResponseError {
        code: code as i32,
        message,
        data: None,
    }
}

fn params<P: DeserializeOwned>(request: Request) -> Result<P, ResponseError> {
    serde_json::from_value(request.params).map_err(|e| {
        error(
            ErrorCode::InvalidParams,
            format!("invalid parameters for {}: {e}", request.method),
        )
    })
}

fn notification_params<P: DeserializeOwned>(n: Notification) -> Result<P, String> {
    serde_json::from_value(n.params).map_err(|e| format!("invalid parameters: {e}"))
}

fn to_value(result: impl serde::Serialize) -> Reply {
    serde_json::to_value(result).map_err(|e| {
        error(
            ErrorCode::InternalError,
            format!("cannot encode the result: {e}"),
        )
    })
}

/// The client's settings; values the server cannot use are reported on stderr
/// (the client's output channel) and the CLI's defaults used instead.
fn read_settings(value: Option<&serde_json::Value>) -> Settings {
    let (settings, ignored) = settings::read(value);
    for message in ignored {
        eprintln!("quickback-kv lsp: {message}");
    }
    settings
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

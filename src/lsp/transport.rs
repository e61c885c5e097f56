//! Base-protocol framing over stdio: `Content-Length` headers, then a JSON-RPC body.
//!
//! lsp-server's own stdio transport stops reading at the first body that is not a
//! valid message, which would end the server; here such a body is answered with a
//! JSON-RPC error and reading goes on. Only a broken header, after which the next
//! message cannot be found, ends the stream. Messages are read ahead on a thread
//! into an unbounded queue, so the server sees every edit that has arrived and can
//! coalesce them (see `server`).

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{Receiver, Sender};

use lsp_server::{ErrorCode, Message};

/// The largest body accepted: a 10 MiB config, JSON-escaped, with room to spare.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// No header line of the protocol comes near this.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// What the reader hands to the server.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A body that is not a JSON-RPC message; answered with this error (`id: null`).
    Malformed {
        code: ErrorCode,
        message: String,
    },
}

/// Reads messages on a new thread until the input ends or its framing breaks (reported on stderr).
pub fn spawn_reader(input: impl BufRead + Send + 'static) -> io::Result<Receiver<Incoming>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("quickback-kv-lsp-reader".into())
        .spawn(move || read_all(input, &sender))?;
    Ok(receiver)
}

fn read_all(mut input: impl BufRead, sender: &Sender<Incoming>) {
    loop {
        match read(&mut input) {
            Ok(Some(incoming)) => {
                if sender.send(incoming).is_err() {
                    return; // the server has stopped
                }
            }
            Ok(None) => return,
            Err(e) => {
                eprintln!("quickback-kv lsp: cannot read the next message, stopping: {e}");
                return;
            }
        }
    }
}

/// One framed message; `Ok(None)` at the end of the input. `Err` when the stream
/// cannot be followed any more (bad header, input ending inside a message).
pub fn read(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let Some(length) = read_headers(input)? else {
        return Ok(None);
    };
    if length > MAX_BODY_BYTES {
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        let message =
            format!("message of {length} bytes is larger than the limit of {MAX_BODY_BYTES} bytes");
        return Ok(Some(Incoming::Malformed {
            code: ErrorCode::InvalidRequest,
            message,
        }));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return Ok(Some(Incoming::Malformed {
                code: ErrorCode::ParseError,
                message: format!("invalid JSON: {e}"),
            }));
        }
    };
    Ok(Some(match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Malformed {
            code: ErrorCode::InvalidRequest,
            message: format!("not a JSON-RPC request, response or notification: {e}"),
        },
    }))
}

/// The `Content-Length` of the next message; `None` when the input ends before it.
fn read_headers(input: &mut impl BufRead) -> io::Result<Option<usize>> {
    let mut length = None;
    let mut first = true;
    loop {
        let mut line = String::new();
        let read = input.take(MAX_HEADER_LINE).read_line(&mut line)?;
        if read == 0 {
            return if first {
                Ok(None)
            } else {
                Err(invalid("input ended inside a message header"))
            };
        }
        if !line.ends_with('\n') {
            return Err(invalid("header line too long"));
        }
        first = false;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(&format!("malformed header {line:?}")))?;
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let value = value.trim();
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| invalid(&format!("bad Content-Length {value:?}")))?,
            );
        }
    }
    length
        .map(Some)
        .ok_or_else(|| invalid("message without Content-Length header"))
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

/// Writes a message with its header and flushes.
pub fn write(output: &mut impl Write, message: Message) -> io::Result<()> {
    message.write(output)
}

/// Answers a body that was not a message. JSON-RPC wants `id: null` here, which
/// lsp-server's `Response` cannot express, so the frame is written directly.
pub fn write_malformed(output: &mut impl Write, code: ErrorCode, message: &str) -> io::Result<()> {
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code as i32, "message": message } }).to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn read_all_from(text: &str) -> Vec<Result<Option<Incoming>, String>> {
        let mut input = io::Cursor::new(text.as_bytes().to_vec());
        let mut out = Vec::new();
        loop {
            let next = read(&mut input).map_err(|e| e.to_string());
            let done = !matches!(next, Ok(Some(_)));
            out.push(next);
            if done {
                return out;
            }
        }
    }

    #[test]
    fn a_bad_body_is_reported_and_the_next_message_still_read() {
        let text = frame("{not json")
            + &frame(r#"{"jsonrpc":"2.0","id":1}"#)
            + &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let results = read_all_from(&text);
        assert!(
            matches!(
                &results[0],
                Ok(Some(Incoming::Malformed {
                    code: ErrorCode::ParseError,
                    ..
                }))
            ),
            "{results:?}"
        );
        assert!(
            matches!(
                &results[1],
                Ok(Some(Incoming::Malformed {
                    code: ErrorCode::InvalidRequest,
                    ..
                }))
            ),
            "{results:?}"
        );
        assert!(
            matches!(&results[2], Ok(Some(Incoming::Message(Message::Notification(n)))) if n.method == "exit"),
            "{results:?}"
        );
        assert!(matches!(&results[3], Ok(None)));
    }

    #[test]
    fn headers_are_read_leniently_but_a_missing_length_ends_the_stream() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let lenient = format!(
            "content-length:{}\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n{body}",
            body.len()
        );
        assert!(matches!(
            &read_all_from(&lenient)[0],
            Ok(Some(Incoming::Message(_)))
        ));
        let missing = format!("Content-Type: x\r\n\r\n{body}");
        assert!(
            read_all_from(&missing)[0]
                .as_ref()
                .is_err_and(|e| e.contains("Content-Length"))
        );
        assert!(
            read_all_from("Content-Length: 10\r\n\r\n{}")[0].is_err(),
            "input ends inside the body"
        );
    }

    #[test]
    fn malformed_answers_carry_a_null_id() {
        let mut out = Vec::new();
        write_malformed(&mut out, ErrorCode::ParseError, "invalid JSON").expect("write to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        let (_, body) = text.split_once("\r\n\r\n").expect("header and body");
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(value["id"], serde_json::Value::Null);
        assert_eq!(value["error"]["code"], -32700);
    }
}

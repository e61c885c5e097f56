//! `file://` URIs ↔ paths. lsp-types 0.97 carries URIs as strings (fluent-uri)
//! with no file-path conversion, so the little that is needed lives here.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The local path a `file://` URI names; `None` for other schemes, a remote
/// authority, or a path that does not decode to UTF-8.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///p` has an empty authority; `file://localhost/p` names this machine too.
    let path = match rest.strip_prefix("localhost") {
        Some(path) if path.starts_with('/') => path,
        _ if rest.starts_with('/') => rest,
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    // Windows: `/C:/x` is the path `C:/x`.
    #[cfg(windows)]
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_string(),
        _ => decoded,
    };
    Some(PathBuf::from(decoded))
}

/// The `file://` URI of an absolute path, percent-encoding all but unreserved characters and `/`.
pub fn from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    let mut uri = String::from("file://");
    if !text.starts_with('/') {
        uri.push('/');
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            // A Windows drive letter's colon stays readable (`file:///C:/x`), as editors write it.
            b':' if uri.len() == "file:///".len() + 1 => uri.push(':'),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    Uri::from_str(&uri).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        Uri::from_str(s).expect("test URI parses")
    }

    #[test]
    fn paths_round_trip_through_uris() {
        let path = Path::new("/tmp/my project/ü/quickback.config.ts");
        let encoded = from_path(path).expect("absolute UTF-8 path");
        assert_eq!(
            encoded.as_str(),
            "file:///tmp/my%20project/%C3%BC/quickback.config.ts"
        );
        assert_eq!(to_path(&encoded).as_deref(), Some(path));
    }

    #[test]
    fn editors_spellings_are_understood() {
        assert_eq!(
            to_path(&uri("file:///a/b%3Ac.ts")),
            Some(PathBuf::from("/a/b:c.ts"))
        );
        assert_eq!(
            to_path(&uri("file://localhost/a/b.ts")),
            Some(PathBuf::from("/a/b.ts"))
        );
        assert_eq!(to_path(&uri("untitled:Untitled-1")), None);
        assert_eq!(to_path(&uri("file://server/share/a.ts")), None);
        assert_eq!(to_path(&uri("file:///a/%FF.ts")), None, "not UTF-8");
    }
}

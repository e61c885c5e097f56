//! The language server's message handling on a framed byte stream
//! (`Content-Length` headers and JSON-RPC bodies), checked by `fuzz/oracle.rs`.
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(problem) = oracle::check_lsp(data) {
        panic!("{problem}");
    }
});

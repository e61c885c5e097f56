//! The whole compile on a config and a wrangler file (TOML, JSONC, JSON or none),
//! checked by the oracle in `fuzz/oracle.rs`.
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(problem) = oracle::check_compile(&oracle::Case::from_bytes(data)) {
        panic!("{problem}");
    }
});

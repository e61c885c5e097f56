//! `src/lib/kv-cache.ts` (a typed cache per opted-in binding) and
//! `src/lib/kv-memory.ts` (an in-memory `KVNamespace`): SPEC §3.6.
//! The templates hold the TypeScript; this module names the functions.

use askama::Template;

use super::{Header, ts};
use crate::model::KvModel;

#[derive(Template)]
#[template(path = "kv-cache.ts", escape = "none")]
struct CacheModule<'a> {
    config_path: &'a str,
    command: &'a str,
    example_function: String,
    caches: Vec<CacheView>,
}

struct CacheView {
    /// A validated identifier.
    binding: String,
    /// A TypeScript identifier derived from the binding, unique in the module.
    function: String,
    /// A complete TypeScript string literal.
    prefix: String,
    prefix_comment: String,
    ttl_comment: String,
    default_ttl: Option<u64>,
}

#[derive(Template)]
#[template(path = "kv-memory.ts", escape = "none")]
struct MemoryModule<'a> {
    config_path: &'a str,
    command: &'a str,
}

/// The cache module, or `None` when no binding opts in.
pub fn render_cache(model: &KvModel, header: &Header) -> Result<Option<String>, askama::Error> {
    let mut caches: Vec<CacheView> = Vec::new();
    for (binding, cache) in model.caches() {
        let name = &binding.name.value;
        let mut function = function_name(name);
        if caches.iter().any(|c| c.function == function) {
            // `FOO_BAR` and `FooBar` both read `fooBarCache`; the binding itself is unique.
            function = format!("cacheOf{name}");
        }
        caches.push(CacheView {
            binding: name.clone(),
            function,
            prefix: ts::string_literal(&cache.prefix.value),
            prefix_comment: ts::comment_text(&ts::string_literal(&cache.prefix.value)),
            ttl_comment: match &cache.default_ttl {
                Some(ttl) => format!(
                    "entries expire after {} s unless `set` says otherwise",
                    ttl.value
                ),
                None => "entries do not expire unless `set` gives a ttl".to_string(),
            },
            default_ttl: cache.default_ttl.as_ref().map(|t| t.value),
        });
    }
    let Some(first) = caches.first() else {
        return Ok(None);
    };
    CacheModule {
        config_path: &header.config_path,
        command: &header.command,
        example_function: first.function.clone(),
        caches,
    }
    .render()
    .map(Some)
}

/// The memory KV, or `None` when neither a cache nor `memoryKv: true` asks for it.
pub fn render_memory(model: &KvModel, header: &Header) -> Result<Option<String>, askama::Error> {
    if !model.wants_memory_kv() {
        return Ok(None);
    }
    MemoryModule {
        config_path: &header.config_path,
        command: &header.command,
    }
    .render()
    .map(Some)
}

/// `CACHE` → `cacheCache`, `FEATURE_FLAGS` → `featureFlagsCache`, `myKv` → `myKvCache`.
fn function_name(binding: &str) -> String {
    let all_caps = !binding.chars().any(|c| c.is_ascii_lowercase());
    let mut out = String::new();
    let mut upper_next = false;
    for c in binding.chars() {
        if c == '_' {
            upper_next = !out.is_empty();
            continue;
        }
        let c = if all_caps { c.to_ascii_lowercase() } else { c };
        if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else if out.is_empty() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push_str("kv");
    }
    out.push_str("Cache");
    out
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn function_names() {
        assert_eq!(function_name("CACHE"), "cacheCache");
        assert_eq!(function_name("KV"), "kvCache");
        assert_eq!(function_name("FEATURE_FLAGS"), "featureFlagsCache");
        assert_eq!(function_name("myKv"), "myKvCache");
        assert_eq!(function_name("_"), "kvCache");
        assert_eq!(function_name("$kv"), "$kvCache");
    }
}

//! Which Better Auth the app has (SPEC §3.4.1, "Version-aware"), read from the
//! texts `project.rs` gathers: the installed `node_modules/better-auth/package.json`,
//! else a lockfile (npm, pnpm, yarn classic and berry, bun's text `bun.lock`), else
//! the `package.json` dependency range. Pure: no file is read here.

/// The files looked at, in order; `project.rs` reads each that exists.
pub const INSTALLED: &str = "node_modules/better-auth/package.json";
pub const LOCKFILES: [&str; 4] = [
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
];
/// Bun's binary lockfile: named in the report, never parsed.
pub const BUN_BINARY: &str = "bun.lockb";
pub const MANIFEST: &str = "package.json";
const NAME: &str = "better-auth";

/// What the files say.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// An exact version (`1.6.9`), or the dependency range when `range` is set.
    pub version: String,
    /// Only the `package.json` range was found, not what it resolves to.
    pub range: bool,
    /// The file it came from.
    pub source: String,
    /// Byte range of the version in that file's text.
    pub at: (usize, usize),
}

/// A lockfile that does not parse: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unparsable {
    pub path: String,
    pub at: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lookup {
    pub found: Option<Found>,
    /// Lockfiles that could not be read as what their name says (a warning each).
    pub unparsable: Vec<Unparsable>,
    /// A `bun.lockb` was there; it is binary and says nothing here.
    pub bun_binary: bool,
}

/// Looks through `files` (path, text) in the order of [`INSTALLED`], [`LOCKFILES`], [`MANIFEST`].
pub fn find(files: &[(&str, &str)]) -> Lookup {
    let mut lookup = Lookup {
        bun_binary: files.iter().any(|(p, _)| *p == BUN_BINARY),
        ..Lookup::default()
    };
    let text = |path: &str| files.iter().find(|(p, _)| *p == path).map(|(_, t)| *t);
    if let Some(t) = text(INSTALLED)
        && let Ok(Some(at)) = json_string_at(t, &["version"])
    {
        lookup.found = Some(found(t, at, INSTALLED, false));
        return lookup;
    }
    for path in LOCKFILES {
        let Some(t) = text(path) else { continue };
        let result = match path {
            "package-lock.json" => npm(t),
            "pnpm-lock.yaml" => pnpm(t),
            "yarn.lock" => yarn(t),
            _ => bun(t),
        };
        match result {
            Ok(Some(at)) => {
                lookup.found = Some(found(t, at, path, false));
                return lookup;
            }
            Ok(None) => {}
            Err((at, message)) => lookup.unparsable.push(Unparsable {
                path: path.to_string(),
                at,
                message,
            }),
        }
    }
    if let Some(t) = text(MANIFEST) {
        for group in ["dependencies", "devDependencies", "peerDependencies"] {
            if let Ok(Some(at)) = json_string_at(t, &[group, NAME]) {
                lookup.found = Some(found(t, at, MANIFEST, true));
                break;
            }
        }
    }
    lookup
}

fn found(text: &str, at: (usize, usize), source: &str, range: bool) -> Found {
    Found {
        version: text[at.0..at.1].to_string(),
        range,
        source: source.to_string(),
        at,
    }
}

/// `(major, minor, patch)` of an exact version (`1.7.8`, `1.7.8-beta.1`).
pub fn parse(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+', '(', '_']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let v = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(v)
}

type Parsed = Result<Option<(usize, usize)>, (usize, String)>;

/// npm's `package-lock.json`: `packages["node_modules/better-auth"].version` (v2, v3),
/// else `dependencies["better-auth"].version` (v1).
fn npm(text: &str) -> Parsed {
    match json_string_at(text, &["packages", "node_modules/better-auth", "version"])? {
        Some(at) => Ok(Some(at)),
        None => json_string_at(text, &["dependencies", NAME, "version"]),
    }
}

/// bun's text `bun.lock` (JSONC): `packages["better-auth"][0]` is `"better-auth@1.6.9"`.
fn bun(text: &str) -> Parsed {
    let Some(at) = json_string_at(text, &["packages", NAME, "0"])? else {
        return Ok(None);
    };
    let prefix = format!("{NAME}@");
    Ok(text[at.0..at.1]
        .starts_with(&prefix)
        .then_some((at.0 + prefix.len(), at.1)))
}

/// A merge-conflict marker line: such a lockfile says two things at once.
fn conflict(text: &str) -> Result<(), (usize, String)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if ["<<<<<<<", "=======", ">>>>>>>"]
            .iter()
            .any(|m| line.starts_with(m))
        {
            return Err((offset, "a merge-conflict marker".into()));
        }
        offset += line.len();
    }
    Ok(())
}

/// pnpm's `pnpm-lock.yaml`: the first package key naming better-auth
/// (`/better-auth@1.6.9:` in v6, `better-auth@1.6.9:` in v9, `/better-auth/1.6.9:` in v5).
/// A file whose first entry is not `lockfileVersion` is not a pnpm lockfile.
fn pnpm(text: &str) -> Parsed {
    conflict(text)?;
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !first.is_some_and(|l| l.starts_with("lockfileVersion:")) {
        return Err((0, "a pnpm lockfile starts with `lockfileVersion:`".into()));
    }
    let mut offset = 0;
    let mut in_packages = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        let key = line.trim_start();
        let indent = line.len() - key.len();
        let key = key.trim_end().trim_end_matches(':');
        let key = key.trim_matches(['\'', '"']);
        let quote = usize::from(line[indent..].starts_with(['\'', '"']));
        let bare = key.strip_prefix('/').unwrap_or(key);
        let skip = indent + quote + (key.len() - bare.len());
        for sep in ['@', '/'] {
            if let Some(version) = bare.strip_prefix(&format!("{NAME}{sep}"))
                && parse(version).is_some()
            {
                let begin = start + skip + NAME.len() + 1;
                let end = begin + version.split(['(', '_']).next().unwrap_or(version).len();
                return Ok(Some((begin, end)));
            }
        }
    }
    Ok(None)
}

/// yarn's `yarn.lock`: classic (`# yarn lockfile v1`, `version "1.6.9"`) or berry
/// (`__metadata:`, `version: 1.6.9`); the entry whose header names `better-auth@…`.
fn yarn(text: &str) -> Parsed {
    conflict(text)?;
    let classic = text.contains("# yarn lockfile v1");
    let berry = text.lines().any(|l| l.starts_with("__metadata:"));
    if !classic && !berry {
        return Err((
            0,
            "neither a yarn classic (`# yarn lockfile v1`) nor a berry (`__metadata:`) lockfile"
                .into(),
        ));
    }
    let mut offset = 0;
    let mut in_entry = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if !line.starts_with(' ') && !line.starts_with('#') && !line.trim().is_empty() {
            in_entry = line
                .trim_end()
                .trim_end_matches(':')
                .split(", ")
                .any(|spec| spec.trim_matches('"').starts_with(&format!("{NAME}@")));
            continue;
        }
        if !in_entry {
            continue;
        }
        let body = line.trim_start();
        if let Some(rest) = body.strip_prefix("version") {
            let value = rest.trim_start_matches([':', ' ']).trim_end();
            let unquoted = value.trim_matches('"');
            let begin = start
                + (line.len() - body.len())
                + "version".len()
                + (rest.len() - rest.trim_start_matches([':', ' ']).len())
                + usize::from(value.starts_with('"'));
            return Ok(Some((begin, begin + unquoted.len())));
        }
    }
    Ok(None)
}

/// The byte range (inside the quotes) of the string at `path` in a JSON or JSONC
/// text; a numeric segment indexes an array. `Err`: the text does not parse.
fn json_string_at(text: &str, path: &[&str]) -> Parsed {
    use jsonc_parser::ast::{ObjectPropName, Value};
    let options = jsonc_parser::ParseOptions::default();
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &options)
        .map_err(|e| (e.range().start, e.kind().to_string()))?;
    let mut value = match parsed.value {
        Some(v) => v,
        None => return Ok(None),
    };
    for segment in path {
        let next = match value {
            Value::Object(object) => object.properties.into_iter().find_map(|p| {
                let name = match &p.name {
                    ObjectPropName::String(s) => s.value.as_ref(),
                    ObjectPropName::Word(w) => w.value,
                };
                (name == *segment).then_some(p.value)
            }),
            Value::Array(array) => segment
                .parse::<usize>()
                .ok()
                .and_then(|i| array.elements.into_iter().nth(i)),
            _ => None,
        };
        match next {
            Some(v) => value = v,
            None => return Ok(None),
        }
    }
    match value {
        Value::StringLit(s) => Ok(Some((s.range.start + 1, s.range.end - 1))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(files: &[(&str, &str)]) -> Option<(String, String, bool)> {
        find(files).found.map(|f| (f.version, f.source, f.range))
    }

    fn exact(v: &str, source: &str) -> Option<(String, String, bool)> {
        Some((v.into(), source.into(), false))
    }

    const MANIFEST_TEXT: &str = r#"{ "dependencies": { "better-auth": "^1.5.0" } }"#;

    #[test]
    fn installed_package_wins_over_everything() {
        let files = [
            (
                INSTALLED,
                r#"{ "name": "better-auth", "version": "1.7.29" }"#,
            ),
            (
                "package-lock.json",
                r#"{ "packages": { "node_modules/better-auth": { "version": "1.6.9" } } }"#,
            ),
            (MANIFEST, MANIFEST_TEXT),
        ];
        assert_eq!(version(&files), exact("1.7.29", INSTALLED));
    }

    #[test]
    fn every_lockfile_kind() {
        let cases = [
            (
                "package-lock.json",
                r#"{ "lockfileVersion": 3, "packages": { "": {}, "node_modules/better-auth": { "version": "1.6.9" } } }"#,
            ),
            (
                "package-lock.json",
                r#"{ "lockfileVersion": 1, "dependencies": { "better-auth": { "version": "1.6.9" } } }"#,
            ),
            (
                "pnpm-lock.yaml",
                "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      better-auth:\n        specifier: ^1.5.0\n        version: 1.6.9(zod@4.1.0)\n\npackages:\n\n  better-auth@1.6.9:\n    resolution: {integrity: sha512-x}\n",
            ),
            (
                "pnpm-lock.yaml",
                "lockfileVersion: '6.0'\n\npackages:\n\n  /better-auth@1.6.9(zod@3.0.0):\n    resolution: {integrity: sha512-x}\n",
            ),
            (
                "pnpm-lock.yaml",
                "lockfileVersion: 5.4\n\npackages:\n\n  /better-auth/1.6.9_zod@3.0.0:\n    resolution: {integrity: sha512-x}\n",
            ),
            (
                "yarn.lock",
                "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\nbetter-call@^1.0.0:\n  version \"1.0.0\"\n\n\"better-auth@^1.5.0\", better-auth@^1.6.0:\n  version \"1.6.9\"\n  resolved \"https://x\"\n",
            ),
            (
                "yarn.lock",
                "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"better-auth@npm:^1.5.0\":\n  version: 1.6.9\n  resolution: \"better-auth@npm:1.6.9\"\n",
            ),
            (
                "bun.lock",
                "{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"better-auth\": [\"better-auth@1.6.9\", \"\", {}, \"sha512-x\"],\n  },\n}\n",
            ),
        ];
        for (path, text) in cases {
            let lookup = find(&[(path, text), (MANIFEST, MANIFEST_TEXT)]);
            assert!(lookup.unparsable.is_empty(), "{path}: {lookup:?}");
            let f = lookup.found.expect(path);
            assert_eq!(
                (f.version.as_str(), f.source.as_str(), f.range),
                ("1.6.9", path, false),
                "{text}"
            );
            assert_eq!(&text[f.at.0..f.at.1], "1.6.9", "{path}");
        }
    }

    #[test]
    fn the_range_only_when_nothing_resolves_it_and_nothing_is_guessed() {
        assert_eq!(
            version(&[(MANIFEST, MANIFEST_TEXT)]),
            Some(("^1.5.0".into(), MANIFEST.into(), true))
        );
        assert_eq!(version(&[(MANIFEST, r#"{ "dependencies": {} }"#)]), None);
        assert_eq!(version(&[]), None);
        let bun = find(&[(BUN_BINARY, "")]);
        assert!(bun.bun_binary && bun.found.is_none());
    }

    #[test]
    fn a_lockfile_that_does_not_parse_is_reported_and_the_next_source_used() {
        for (path, text) in [
            ("package-lock.json", "{ \"packages\": { \n"),
            ("pnpm-lock.yaml", "<<<<<<< HEAD\nlockfileVersion: '9.0'\n"),
            ("yarn.lock", "{ not yarn }\n"),
            (
                "yarn.lock",
                "# yarn lockfile v1\n<<<<<<< HEAD\nbetter-auth@^1.5.0:\n  version \"1.6.9\"\n",
            ),
            ("bun.lock", "{ \"packages\": [ }"),
        ] {
            let lookup = find(&[(path, text), (MANIFEST, MANIFEST_TEXT)]);
            assert_eq!(lookup.unparsable.len(), 1, "{path}");
            assert_eq!(lookup.unparsable[0].path, path);
            assert!(lookup.unparsable[0].at <= text.len());
            assert_eq!(lookup.found.map(|f| f.range), Some(true), "{path}");
        }
    }

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(parse("1.7.8"), Some((1, 7, 8)));
        assert_eq!(parse("1.7.16-beta.2"), Some((1, 7, 16)));
        assert_eq!(parse("^1.5.0"), None);
        assert_eq!(parse("1.7"), None);
        assert!(parse("1.7.10") > parse("1.7.8"));
    }
}

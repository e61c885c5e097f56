//! The session key period (SPEC §3.4.1, "No stale keys from an earlier period"):
//! each time sessions enter KV they get a fresh key namespace, so a key left in KV
//! from an earlier period (a session revoked while KV was off) is never read again.
//!
//! The session adapter records its period on one header line, which later builds
//! read back: `// Session key period: 1796399383 (in use)` while KV sessions are on
//! (the keys are `keyPrefix + "1796399383:" + key`), `… (retired)` once they are
//! off, `none (in use)` for an adapter written before periods existed while its
//! sessions are wired (its keys stay where they are, unstamped). The auth module
//! plays no part, so Quickback regenerating it changes nothing here.

/// The header line's start; the template prints [`Period::record`] after it.
pub const RECORD: &str = "// Session key period: ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Sessions are in KV under this stamp (`None`: unstamped, an older adapter's keys).
    InUse(Option<u64>),
    /// KV sessions are off; the last stamp used, so the next one is newer.
    Retired(Option<u64>),
}

impl Period {
    /// What the header line says after [`RECORD`].
    pub fn record(self) -> String {
        match self {
            Period::InUse(Some(n)) => format!("{n} (in use)"),
            Period::InUse(None) => "none (in use)".to_string(),
            Period::Retired(Some(n)) => format!("{n} (retired)"),
            Period::Retired(None) => "none (retired)".to_string(),
        }
    }

    /// The text between the configured prefix and Better Auth's key.
    pub fn key_part(self) -> String {
        match self {
            Period::InUse(Some(n)) => format!("{n}:"),
            _ => String::new(),
        }
    }
}

/// The longest [`Period::key_part`]: `u64::MAX` and a colon.
pub const MAX_KEY_PART_BYTES: usize = 21;

/// The period an existing adapter records; `None` when it has no record line.
pub fn read(adapter: &str) -> Option<Period> {
    let line = adapter
        .lines()
        .take(64)
        .find_map(|l| l.strip_prefix(RECORD))?;
    let (value, state) = line.trim_end().split_once(' ')?;
    let stamp = match value {
        "none" => None,
        n => Some(n.parse::<u64>().ok()?),
    };
    match state {
        "(in use)" => Some(Period::InUse(stamp)),
        "(retired)" => Some(Period::Retired(stamp)),
        _ => None,
    }
}

/// What the adapter written by this build records.
/// - `previous`: the existing adapter's record (`None`: no adapter, or one without it);
/// - `unstamped_in_use`: an existing generated adapter without a record whose
///   sessions are wired: its keys have no stamp and stay valid;
/// - `on`: KV sessions are on; `now`: seconds since the epoch.
///
/// A new stamp is never older than the last one retired, so on → off → on within
/// one second (or with a fixed `SOURCE_DATE_EPOCH`) still gets a new namespace.
pub fn decide(previous: Option<Period>, unstamped_in_use: bool, on: bool, now: u64) -> Period {
    match (previous, on) {
        (Some(Period::InUse(p)), true) => Period::InUse(p),
        (Some(Period::Retired(Some(p))), true) => Period::InUse(Some(now.max(p.saturating_add(1)))),
        (Some(Period::Retired(None)), true) => Period::InUse(Some(now)),
        (None, true) if unstamped_in_use => Period::InUse(None),
        (None, true) => Period::InUse(Some(now)),
        (Some(Period::InUse(p) | Period::Retired(p)), false) => Period::Retired(p),
        (None, false) => Period::Retired(None),
    }
}

/// The time a new period starts: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds), else the clock the caller read, else 0.
pub fn now(env: &std::collections::BTreeMap<String, String>, clock: Option<u64>) -> u64 {
    env.get("SOURCE_DATE_EPOCH")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(clock)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back() {
        for period in [
            Period::InUse(Some(1_796_399_383)),
            Period::InUse(None),
            Period::Retired(Some(7)),
            Period::Retired(None),
        ] {
            let text = format!("// Generated\n{RECORD}{}\n", period.record());
            assert_eq!(read(&text), Some(period));
        }
        assert_eq!(read("// Generated\n"), None);
        assert_eq!(read(&format!("{RECORD}soon (in use)\n")), None);
    }

    #[test]
    fn on_off_on_never_reuses_a_stamp() {
        let first = decide(None, false, true, 100);
        assert_eq!(first, Period::InUse(Some(100)));
        assert_eq!(
            decide(Some(first), false, true, 500),
            first,
            "later builds keep it"
        );
        let off = decide(Some(first), false, false, 200);
        assert_eq!(off, Period::Retired(Some(100)));
        assert_eq!(decide(Some(off), false, false, 300), off);
        // On again: a new stamp, even with the same (fixed) time.
        assert_eq!(
            decide(Some(off), false, true, 100),
            Period::InUse(Some(101))
        );
        assert_eq!(
            decide(Some(off), false, true, 900),
            Period::InUse(Some(900))
        );
        // An older adapter whose sessions are wired keeps its unstamped keys.
        assert_eq!(decide(None, true, true, 5), Period::InUse(None));
        assert_eq!(Period::InUse(None).key_part(), "");
        assert_eq!(first.key_part(), "100:");
        assert_eq!(
            Period::InUse(Some(u64::MAX)).key_part().len(),
            MAX_KEY_PART_BYTES
        );
    }

    #[test]
    fn source_date_epoch_wins_over_the_clock() {
        let mut env = std::collections::BTreeMap::new();
        assert_eq!(now(&env, Some(42)), 42);
        env.insert("SOURCE_DATE_EPOCH".to_string(), "1700000000".to_string());
        assert_eq!(now(&env, Some(42)), 1_700_000_000);
        env.insert("SOURCE_DATE_EPOCH".to_string(), "soon".to_string());
        assert_eq!(now(&env, None), 0);
    }
}

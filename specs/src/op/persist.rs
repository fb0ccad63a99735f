//! Generated persistence operations: SAVE, BGSAVE, DEBUG RELOAD, DUMP, RESTORE, and DUMP of one
//! key restored into another (a two-command step, see [`super::Step::DumpRestore`]).
//!
//! RESTORE payloads come from a table of DUMP outputs of redis-server 7.0.15, one or two per
//! encoding, each with the commands that built the value (the model builds it again from them),
//! and from bad variants of them: truncated, a wrong checksum, a newer RDB version, an older one
//! (accepted), a body that does not parse, an empty collection.

use super::{pick, AbsTime, Args, Key};
use crate::crc64::crc64;
use arbitrary::Arbitrary;

/// One persistence command.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersistOp {
    Save,
    BgSave {
        schedule: bool,
    },
    /// DEBUG RELOAD (save, empty the dataset, load the file back).
    DebugReload,
    Dump(Key),
    /// RESTORE of a payload from the table.
    Restore {
        key: Key,
        ttl: RestoreTtl,
        payload: PayloadPick,
        opts: RestoreOpts,
    },
    /// DUMP src, then RESTORE dst with the payload DUMP replied.
    DumpRestore {
        src: Key,
        dst: Key,
        ttl: RestoreTtl,
        opts: RestoreOpts,
    },
    /// SHUTDOWN SAVE and a new server loading the file (a step of its own, see
    /// [`super::Step::Restart`]).
    Restart,
}

/// RESTORE's TTL argument: relative milliseconds, or an absolute time (with ABSTTL).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreTtl {
    Relative(u8),
    Absolute(AbsTime),
}

const REL_TTL_TABLE: &[&str] = &["0", "0", "0", "1", "10", "1000", "100000", "-1", "x"];

/// RESTORE's options after the payload.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreOpts {
    pub replace: bool,
    pub extra: Option<RestoreExtra>,
}

/// IDLETIME, FREQ, both (a syntax error), or an unknown word.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreExtra {
    IdleTime(u8),
    Freq(u8),
    Both,
    Junk,
}

const IDLE_TABLE: &[&str] = &["0", "10", "100000", "-1", "x"];
const FREQ_TABLE: &[&str] = &["0", "5", "255", "256", "-1", "x"];

/// Which payload RESTORE gets: a table entry, possibly spoilt.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadPick {
    pub entry: u8,
    pub spoil: Spoil,
}

/// How a good payload is made bad (or, for `OlderVersion`, different but still good).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spoil {
    None,
    None2,
    None3,
    /// Cut to 5 bytes (shorter than the 10-byte footer).
    Truncated,
    /// One bit of the checksum flipped.
    BadChecksum,
    /// RDB version 11 in the footer, checksum recomputed.
    NewerVersion,
    /// RDB version 9 in the footer, checksum recomputed: still accepted.
    OlderVersion,
    /// A body that is not an RDB value (type byte 200), valid footer.
    Garbage,
    /// A set of no members, valid footer.
    EmptySet,
}

/// DUMP outputs of redis-server 7.0.15 (hex), with the commands that built key `k`.
pub const PAYLOADS: &[(&[&str], &str)] = &[
    (&["SET k hello"], "000568656c6c6f0a006372df766534200a"),
    (&["SET k 12345"], "00c139300a009d94ea2793fc08b9"),
    (
        &["SET k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        "00c3093c016161e02f000161610a00a67e08b217d09780",
    ),
    (&["RPUSH k a b 1"], "1201020f0f00000003008161028162020101ff0a00e01bab4a47ce5922"),
    (&["SADD k 1 2 3"], "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"),
    (&["SADD k a b"], "0202016101620a00fe642125eb033d0d"),
    (&["HSET k f v"], "100d0d0000000200816602817602ff0a0020f13d442354089d"),
    (
        &["HSET k f yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"],
        "04010166c3094046017979e039000179790a00ee85cb01a5bbf409",
    ),
    (&["ZADD k 1 a 2.5 b"], "1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7"),
    (
        &["ZADD k 1 yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"],
        "0501c3094046017979e03900017979000000000000f03f0a005361ac7ed4db5187",
    ),
    (
        &["XADD k 1-1 f v", "XADD k 2-1 a 1 b 2", "XDEL k 1-1", "XGROUP CREATE k g 0"],
        concat!(
            "1301100000000000000001000000000000000131310000001300010101010101816602000103010001000181760204",
            "010001010100010201816102010181620202010801ff0102010201010102010167000081ffffffffffffffff00000a",
            "00a65df5fcac6f79ff"
        ),
    ),
    (&["PFADD k a b c"], "001b48594c4c01000000000000000000008060f38050b1844bfb80425a0a009f590c06b6497049"),
];

/// Hex text to bytes.
pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect()
}

/// `body` followed by a footer of RDB version `version` and the CRC-64 of both.
pub fn with_footer(body: &[u8], version: u16) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

impl PayloadPick {
    /// The payload bytes RESTORE is given.
    pub fn bytes(self) -> Vec<u8> {
        let (_, hex) = PAYLOADS[usize::from(self.entry) % PAYLOADS.len()];
        let good = unhex(hex);
        let body = &good[..good.len() - 10];
        match self.spoil {
            Spoil::None | Spoil::None2 | Spoil::None3 => good,
            Spoil::Truncated => good[..5].to_vec(),
            Spoil::BadChecksum => {
                let mut bad = good.clone();
                let last = bad.len() - 1;
                bad[last] ^= 0x10;
                bad
            }
            Spoil::NewerVersion => with_footer(body, 11),
            Spoil::OlderVersion => with_footer(body, 9),
            Spoil::Garbage => with_footer(&[200, 1, 2, 3], 10),
            Spoil::EmptySet => with_footer(&[2, 0], 10),
        }
    }
}

impl RestoreTtl {
    fn text(self) -> String {
        match self {
            RestoreTtl::Relative(i) => pick(REL_TTL_TABLE, i).to_string(),
            RestoreTtl::Absolute(t) => t.text(1),
        }
    }
}

/// RESTORE key ttl payload [options]; the payload argument is `payload`.
fn restore_argv(key: Key, ttl: RestoreTtl, payload: Vec<u8>, opts: RestoreOpts) -> Vec<Vec<u8>> {
    let mut args = Args::new("RESTORE").b(key.bytes()).s(&ttl.text()).b(payload);
    if opts.replace {
        args = args.s("REPLACE");
    }
    if matches!(ttl, RestoreTtl::Absolute(_)) {
        args = args.s("ABSTTL");
    }
    match opts.extra {
        None => {}
        Some(RestoreExtra::IdleTime(i)) => args = args.s("IDLETIME").s(pick(IDLE_TABLE, i)),
        Some(RestoreExtra::Freq(i)) => args = args.s("FREQ").s(pick(FREQ_TABLE, i)),
        Some(RestoreExtra::Both) => args = args.s("IDLETIME").s("1").s("FREQ").s("1"),
        Some(RestoreExtra::Junk) => args = args.s("FOO"),
    }
    args.0
}

/// A command's arguments.
type Argv = Vec<Vec<u8>>;

/// Where [`super::Step::DumpRestore`]'s RESTORE takes the payload DUMP replied.
pub const PAYLOAD_ARG: usize = 3;

impl PersistOp {
    /// The command (for `DumpRestore`, the RESTORE with an empty payload placeholder).
    pub fn to_argv(self) -> Vec<Vec<u8>> {
        match self {
            PersistOp::Save => Args::new("SAVE").0,
            PersistOp::BgSave { schedule: false } => Args::new("BGSAVE").0,
            PersistOp::BgSave { schedule: true } => Args::new("BGSAVE").s("SCHEDULE").0,
            PersistOp::DebugReload => Args::new("DEBUG").s("RELOAD").0,
            PersistOp::Dump(k) => Args::new("DUMP").b(k.bytes()).0,
            PersistOp::Restore { key, ttl, payload, opts } => restore_argv(key, ttl, payload.bytes(), opts),
            PersistOp::DumpRestore { dst, ttl, opts, .. } => restore_argv(dst, ttl, Vec::new(), opts),
            PersistOp::Restart => Vec::new(),
        }
    }

    /// For `DumpRestore`: the DUMP command and the RESTORE template.
    pub fn dump_restore(self) -> Option<(Argv, Argv)> {
        match self {
            PersistOp::DumpRestore { src, .. } => Some((Args::new("DUMP").b(src.bytes()).0, self.to_argv())),
            _ => None,
        }
    }
}

/// The RESTORE of a `DumpRestore` step given DUMP's reply: the payload goes in place of the
/// placeholder (a missing key leaves an empty payload, which RESTORE refuses).
pub fn fill_payload(mut restore: Vec<Vec<u8>>, dumped: Option<&[u8]>) -> Vec<Vec<u8>> {
    if let (Some(slot), Some(bytes)) = (restore.get_mut(PAYLOAD_ARG), dumped) {
        *slot = bytes.to_vec();
    }
    restore
}

/// Commands that build values of every type (and a few that change or remove them), kept by
/// [`persistence_heavy_ops`] between persistence operations.
/// (No ZINCRBY: inside EXEC the model's judgement of its RESP2 double is off against the real
/// server, a known gap of the transaction check outside persistence.)
const BUILDERS: &[&str] = &[
    "set",
    "append",
    "setrange",
    "incr",
    "incrbyfloat",
    "mset",
    "rpush",
    "lpush",
    "linsert",
    "sadd",
    "srem",
    "zadd",
    "zrem",
    "hset",
    "hdel",
    "hincrby",
    "xadd",
    "xgroup",
    "xreadgroup",
    "xdel",
    "pfadd",
    "setbit",
    "del",
    "expire",
    "pexpire",
    "persist",
    "multi",
    "exec",
    "watch",
    "select",
    "flushall",
    "geoadd",
];

/// True for an operation [`persistence_heavy_ops`] keeps between persistence operations.
fn is_builder(op: &super::Op) -> bool {
    match op.step() {
        super::Step::Command(argv) => {
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
            BUILDERS.contains(&name.as_str())
        }
        _ => false,
    }
}

/// Sequences dense in persistence: about a third persistence operations, some clock steps (so
/// background saves end and TTLs pass), client switches, and commands that build values of
/// every type, decoded from `bytes`.
pub fn persistence_heavy_ops(bytes: &[u8], max_ops: usize) -> Vec<super::Op> {
    use super::Op;
    let mut u = arbitrary::Unstructured::new(bytes);
    let mut ops = Vec::new();
    // Bounded: each round consumes input or stops.
    for _ in 0..max_ops.saturating_mul(64) {
        if ops.len() >= max_ops || u.is_empty() {
            break;
        }
        let Ok(choice) = u.int_in_range(0u8..=9) else { break };
        // Each operation decodes from its own 24 bytes: a variant that takes what input is left
        // (a list argument) cannot end the sequence early.
        let mut next = || u.bytes(24).map(arbitrary::Unstructured::new);
        let op = match choice {
            0..=2 => next().and_then(|mut one| PersistOp::arbitrary(&mut one).map(Op::Persistence)),
            3 => next().and_then(|mut one| super::Delay::arbitrary(&mut one).map(Op::AdvanceTime)),
            4 => next().and_then(|mut one| u8::arbitrary(&mut one).map(Op::SwitchClient)),
            // A builder: the first of a few tries that decodes to one.
            _ => match (0..8)
                .find_map(|_| next().ok().and_then(|mut one| Op::arbitrary(&mut one).ok()).filter(is_builder))
            {
                Some(op) => Ok(op),
                None => continue,
            },
        };
        let Ok(op) = op else { break };
        let keep = choice <= 4 || is_builder(&op);
        if op == Op::Persistence(PersistOp::BgSave { schedule: true }) {
            // Half the BGSAVEs run inside EXEC, where they are scheduled.
            ops.extend([Op::Multi, op, Op::Exec]);
        } else if keep && !op.may_block() {
            ops.push(op);
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_payloads_have_valid_footers() {
        for (cmds, hex) in PAYLOADS {
            let bytes = unhex(hex);
            let body = &bytes[..bytes.len() - 10];
            assert_eq!(with_footer(body, 10), bytes, "{cmds:?}");
        }
    }
}

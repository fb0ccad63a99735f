//! Property test: random ACL rules and AUTH attempts, the engine against the independent model
//! in `verdis-spec` (specs/src/model/acl.rs). Never panics; SETUSER accepts and refuses the same
//! rule batches; every command decision (allowed, or the exact NOPERM error and argument) and
//! every AUTH outcome agrees.
// rules: ACL-1, ACL-2, ACL-3, ACL-4, ACL-5

use proptest::prelude::*;
use verdis::engine::acl::{self, catalogue::catalogue};
use verdis::engine::testkit::Harness;
use verdis::resp::Frame;
use verdis_spec::model::acl::{self as m, AclFacts, KeyNeed, MUser, Table};

const RULES: &[&str] = &[
    "on",
    "off",
    "nopass",
    "resetpass",
    ">pw1",
    ">pw2",
    "<pw1",
    "reset",
    "allkeys",
    "resetkeys",
    "~a*",
    "~b:*",
    "%R~a*",
    "%W~b*",
    "%RW~c",
    "%r~c",
    "%R",
    "allchannels",
    "resetchannels",
    "&ch*",
    "&news",
    "+@all",
    "-@all",
    "allcommands",
    "nocommands",
    "+@read",
    "-@write",
    "+@string",
    "-@keyspace",
    "+@pubsub",
    "-@pubsub",
    "+@dangerous",
    "-@admin",
    "+@connection",
    "+get",
    "-get",
    "+set",
    "-set",
    "+config|get",
    "-config",
    "+config",
    "+client",
    "-client|id",
    "+select|0",
    "+SELECT|1",
    "+select",
    "-select",
    "+lmove",
    "+copy",
    "+publish",
    "+subscribe",
    "+psubscribe",
    "(+get ~a*)",
    "(+@write %W~b*)",
    "(+@all ~c &news)",
    "clearselectors",
    "+nosuch",
    "bogus",
    "%~x",
    "%RR~x",
    "+@nosuch",
    "+get|x",
    "+config|nosuch",
    "+config|",
    "",
    "-config|get",
    "+@hash",
    "-del",
    "+del",
    "+exists",
    "+mset",
];

const KEYS: &[&str] = &["a1", "b:1", "c", "other", "A1"];
const CHANNELS: &[&str] = &["ch1", "news", "ch*", "other"];

/// A call template: argv with `K`/`C` placeholders, and which arguments are keys (with the
/// permission each needs, as Redis 7.0's key specs say) or channels (and whether a pattern).
struct Template {
    argv: &'static [&'static str],
    keys: &'static [(usize, bool, bool)],
    channels: &'static [(usize, bool)],
}

const R: bool = true;
const W: bool = true;
const N: bool = false;

const TEMPLATES: &[Template] = &[
    Template { argv: &["get", "K"], keys: &[(1, R, N)], channels: &[] },
    Template { argv: &["set", "K", "v"], keys: &[(1, N, W)], channels: &[] },
    Template { argv: &["set", "K", "v", "get"], keys: &[(1, R, W)], channels: &[] },
    Template { argv: &["del", "K", "K"], keys: &[(1, N, W), (2, N, W)], channels: &[] },
    Template { argv: &["copy", "K", "K"], keys: &[(1, R, N), (2, N, W)], channels: &[] },
    Template { argv: &["lmove", "K", "K", "left", "right"], keys: &[(1, R, W), (2, N, W)], channels: &[] },
    Template { argv: &["exists", "K", "K"], keys: &[(1, N, N), (2, N, N)], channels: &[] },
    Template { argv: &["mset", "K", "1", "K", "2"], keys: &[(1, N, W), (3, N, W)], channels: &[] },
    Template { argv: &["hget", "K", "f"], keys: &[(1, R, N)], channels: &[] },
    Template { argv: &["config", "get", "hz"], keys: &[], channels: &[] },
    Template { argv: &["client", "id"], keys: &[], channels: &[] },
    Template { argv: &["select", "0"], keys: &[], channels: &[] },
    Template { argv: &["select", "1"], keys: &[], channels: &[] },
    Template { argv: &["ping"], keys: &[], channels: &[] },
    Template { argv: &["publish", "C", "m"], keys: &[], channels: &[(1, false)] },
    Template { argv: &["subscribe", "C", "C"], keys: &[], channels: &[(1, false), (2, false)] },
    Template { argv: &["psubscribe", "C"], keys: &[], channels: &[(1, true)] },
    Template { argv: &["unsubscribe", "C"], keys: &[], channels: &[] },
    Template { argv: &["auth", "x", "y"], keys: &[], channels: &[] },
];

/// The model's view of the command table: names, containers, categories (data from Redis's
/// command table, which the engine carries), as `verdis diff` hands it to the model.
fn model_table() -> &'static Table {
    static FACTS: std::sync::OnceLock<std::sync::Arc<verdis::oracle::acl_facts::TableFacts>> =
        std::sync::OnceLock::new();
    FACTS.get_or_init(verdis::oracle::acl_facts::table_facts).table()
}

fn bytes(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn full_name(argv: &[Vec<u8>]) -> String {
    let first = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let table = model_table();
    if table.get(&first).is_some_and(|f| f.container) {
        format!("{first}|{}", String::from_utf8_lossy(&argv[1]).to_ascii_lowercase())
    } else {
        first
    }
}

fn run_case(batches: Vec<Vec<usize>>, calls: Vec<(usize, usize, usize, usize)>, auths: Vec<usize>) {
    let table = model_table();
    let mut h = Harness::new();
    let admin = h.client;
    let mut model = MUser::new();
    let mut exists = false;
    for batch in &batches {
        let rules: Vec<&str> = batch.iter().map(|&i| RULES[i % RULES.len()]).collect();
        let mut argv = bytes(&["ACL", "SETUSER", "u"]);
        argv.extend(bytes(&rules));
        h.client = admin;
        let reply = h.run_argv(&argv);
        let modelled = m::set_user(table, &model, &argv[3..]);
        match (&reply, modelled) {
            (Frame::Simple(s), Ok(u)) if s == "OK" => {
                model = u;
                exists = true;
            }
            (Frame::Error(_), Err(())) => {}
            (r, m) => panic!("SETUSER {rules:?}: engine {r:?}, model {m:?}"),
        }
    }
    if !exists {
        return;
    }
    let user = h.engine.acl.users.get(b"u".as_slice()).expect("user u").clone();
    for &(t, k1, k2, c) in &calls {
        let tpl = &TEMPLATES[t % TEMPLATES.len()];
        let mut keys = [KEYS[k1 % KEYS.len()], KEYS[k2 % KEYS.len()]].into_iter();
        let mut chans = [CHANNELS[c % CHANNELS.len()], CHANNELS[(c + 1) % CHANNELS.len()]].into_iter();
        let argv: Vec<Vec<u8>> = tpl
            .argv
            .iter()
            .map(|a| match *a {
                "K" => keys.next().unwrap_or("k").as_bytes().to_vec(),
                "C" => chans.next().unwrap_or("c").as_bytes().to_vec(),
                other => other.as_bytes().to_vec(),
            })
            .collect();
        let name = full_name(&argv);
        let facts = table.get(&name).expect("facts");
        let call = m::Call {
            facts,
            argv: &argv,
            keys: tpl.keys.iter().map(|&(p, read, write)| (p, KeyNeed { read, write })).collect(),
            channels: tpl.channels.to_vec(),
        };
        let want = m::decide(&table, &model, &call);
        let id = catalogue().index_of(&name).expect("catalogue");
        let got = acl::check(&user, id, &argv).map_err(|d| (d.error_text(&name), d.pos));
        assert_eq!(got, want, "rules {batches:?} command {name} {argv:?}");
    }
    // AUTH as `u` from a fresh connection; when it works, the first command's reply is NOPERM
    // exactly when the model refuses it.
    for &a in &auths {
        let pass = ["pw1", "pw2", "x", ""][a % 4];
        h.new_client();
        let reply = h.run_argv(&bytes(&["AUTH", "u", pass]));
        let ok = m::auth_ok(Some(&model), pass.as_bytes());
        assert_eq!(reply == Frame::ok(), ok, "AUTH u {pass} after {batches:?}: {reply:?}");
        if ok {
            let argv = bytes(&["GET", "a1"]);
            let facts = table.get("get").expect("get");
            let call =
                m::Call { facts, argv: &argv, keys: vec![(1, KeyNeed { read: true, write: false })], channels: vec![] };
            let refused = m::decide(&table, &model, &call).err().map(|e| e.0);
            let reply = h.run_argv(&argv);
            let got = match reply {
                Frame::Error(e) if e.starts_with("NOPERM") => Some(e),
                _ => None,
            };
            assert_eq!(got, refused, "GET a1 as u after {batches:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn engine_and_model_agree(
        batches in prop::collection::vec(prop::collection::vec(0usize..200, 0..6), 1..5),
        calls in prop::collection::vec((0usize..100, 0usize..10, 0usize..10, 0usize..10), 1..12),
        auths in prop::collection::vec(0usize..8, 0..3),
    ) {
        run_case(batches, calls, auths);
    }
}

/// Rules that are garbage bytes never panic the engine (and are refused or accepted as Redis
/// would: here only "no panic" and "the user stays describable" are checked).
#[test]
fn arbitrary_rule_bytes_never_panic() {
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let alphabet = b"+-@~%&()<>#!|*?[]^\\ RWrw allkeysgetconfig\x00\t";
    let mut h = Harness::new();
    for _ in 0..2000 {
        let n = (next() % 4) as usize;
        let mut argv = bytes(&["ACL", "SETUSER", "fuzz"]);
        for _ in 0..n {
            let len = (next() % 12) as usize;
            argv.push((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect());
        }
        let _ = h.run_argv(&argv);
        let _ = h.run("ACL LIST");
        let _ = h.run("ACL GETUSER fuzz");
        let _ = h.run("ACL DRYRUN fuzz get a");
    }
}

//! Geo replies byte for byte against a real redis-server 7.0.15, for generated inputs: points
//! everywhere on the indexable area (and clustered, so that distances tie and cells border each
//! other), then GEOHASH, GEOPOS, GEODIST in every unit, and GEOSEARCH/GEORADIUS by radius and by
//! box with every reply option, sorts, COUNT (full and partial sorts) and ANY, in RESP2 and RESP3.
// rules: GEO-1 GEO-2 GEO-3 GEO-4 GEO-5 GEO-6 GEO-7 GEO-8

mod common;

use common::oracle::RedisOracle;
use common::wire::{show, Wire};

/// A seeded xorshift generator, so a failure reproduces.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in [lo, hi].
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A longitude/latitude pair as text: random with full precision, on a coarse grid (ties), or
/// at the edges of the indexable area.
fn point(g: &mut Gen) -> (String, String) {
    match g.below(4) {
        0 => (format!("{}", g.float(-180.0, 180.0)), format!("{}", g.float(-85.05112878, 85.05112878))),
        1 => (format!("{:.3}", g.float(12.0, 14.0)), format!("{:.3}", g.float(37.0, 39.0))),
        2 => (format!("{:.1}", g.float(-1.0, 1.0)), format!("{:.1}", g.float(-1.0, 1.0))),
        _ => (
            g.pick(&["180", "-180", "179.99999", "-179.99999", "0", "90.5"]).to_string(),
            g.pick(&["85.05112878", "-85.05112878", "85", "-85", "0", "66.5", "-80.1"]).to_string(),
        ),
    }
}

fn argv(parts: &[String]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// One generated query over key `g` with members m0..m{members-1}.
fn query(g: &mut Gen, members: u64) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let member = |g: &mut Gen| format!("m{}", g.below(members + 2));
    let unit = |g: &mut Gen| g.pick(&["m", "km", "mi", "ft"]).to_string();
    let mut q = match g.below(6) {
        0 => vec![s("GEOHASH"), s("g"), member(g), member(g), member(g)],
        1 => vec![s("GEOPOS"), s("g"), member(g), member(g), member(g)],
        2 => {
            let mut q = vec![s("GEODIST"), s("g"), member(g), member(g)];
            if g.below(4) != 0 {
                q.push(unit(g));
            }
            return q;
        }
        3 => {
            let (lon, lat) = point(g);
            let r = g.pick(&["0", "1", "100", "1000", "20000", "500000", "5000"]);
            vec![s("GEORADIUS"), s("g"), lon, lat, s(r), unit(g)]
        }
        _ => {
            let mut q = vec![s("GEOSEARCH"), s("g")];
            if g.below(2) == 0 {
                q.extend([s("FROMMEMBER"), format!("m{}", g.below(members))]);
            } else {
                let (lon, lat) = point(g);
                q.extend([s("FROMLONLAT"), lon, lat]);
            }
            let sizes = ["0", "1", "50", "300", "1000", "5000", "40000"];
            if g.below(2) == 0 {
                q.extend([s("BYRADIUS"), s(g.pick(&sizes)), s("km")]);
            } else {
                q.extend([s("BYBOX"), s(g.pick(&sizes)), s(g.pick(&sizes)), s("km")]);
            }
            q
        }
    };
    if q[0] == "GEORADIUS" || q[0] == "GEOSEARCH" {
        for opt in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
            if g.below(2) == 0 {
                q.push(s(opt));
            }
        }
        match g.below(4) {
            0 => q.push(s("ASC")),
            1 => q.push(s("DESC")),
            _ => {}
        }
        match g.below(3) {
            0 => q.extend([s("COUNT"), (1 + g.below(40)).to_string()]),
            1 => q.extend([s("COUNT"), (1 + g.below(40)).to_string(), s("ANY")]),
            _ => {}
        }
    }
    q
}

#[test]
fn generated_geo_replies_match_real_redis() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let mut failures = Vec::new();
    let mut compared = 0;
    for (round, resp) in [(1u64, 2), (2, 3), (3, 2)] {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15 ^ round.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut v = Wire::connect(server.addr());
        let mut r = Wire::connect(oracle.addr);
        for w in [&mut v, &mut r] {
            w.call(&argv(&["FLUSHALL".into()]));
            if resp == 3 {
                w.call(&argv(&["HELLO".into(), "3".into()]));
            }
        }
        // Round 3 has enough points for a skiplist and searches with many results.
        let members = if round == 3 { 400 } else { 60 };
        for i in 0..members {
            let (lon, lat) = point(&mut g);
            let add = argv(&["GEOADD".into(), "g".into(), lon, lat, format!("m{i}")]);
            let (got, want) = (v.call(&add), r.call(&add));
            assert_eq!(show(&got), show(&want), "GEOADD differs");
        }
        for _ in 0..1500 {
            let q = argv(&query(&mut g, members));
            let (got, want) = (v.call(&q), r.call(&q));
            compared += 1;
            if got != want && failures.len() < 10 {
                let cmd: Vec<String> = q.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                failures.push(format!("{}\n  redis:  {}\n  verdis: {}", cmd.join(" "), show(&want), show(&got)));
            }
        }
    }
    eprintln!("geo interop: {compared} generated queries compared with redis-server");
    assert!(failures.is_empty(), "differences from real Redis:\n{}", failures.join("\n"));
}

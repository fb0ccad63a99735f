//! Geo commands (Redis: geo.c), modelled plainly on top of the model's sorted sets: a point is
//! a member whose score holds its 52-bit geohash.
//!
//! The math is the naive one: a score is split into its latitude and longitude indices bit by
//! bit, the cell centre is computed from them, and distances with the haversine formula, each
//! float operation in the order Redis performs it (the replies must agree to the last digit).
//!
//! What a search returns is decided by Redis's algorithm, not by geometry alone: it scans up to
//! nine geohash cells around the centre (so a point inside the radius but outside those cells is
//! not found, and a cell repeated at huge radii is scanned twice), in a fixed order, and sorts
//! with a stable sort or, when COUNT cuts the result, with a partial quicksort whose tie order
//! is its own. The model follows that algorithm with index arithmetic on the two coordinates
//! (a neighbour is the index plus or minus one, modulo the number of cells), and its own
//! rendering of the partial quicksort.

use super::dispatch::Call;
use super::zsets::{self, num::string2d};
use super::Model;
use crate::ld::{format_human, Ld};
use crate::num::opt_is;
use crate::reply::Reply;
use std::f64::consts::PI;

const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const LON_MIN: f64 = -180.0;
const LON_MAX: f64 = 180.0;
const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
/// Bits per coordinate in a stored score.
const STEPS: u32 = 26;

// ----- the geohash, one coordinate index at a time -----

/// The score as C's `(uint64_t)` conversion gives it on x86-64 (what Redis decodes).
fn score_bits(score: f64) -> u64 {
    const HIGH: f64 = 9_223_372_036_854_775_808.0; // 2^63
    let signed = |x: f64| -> u64 {
        if (-HIGH..HIGH).contains(&x) {
            x as i64 as u64
        } else {
            1 << 63 // the "integer indefinite" value, also for NaN
        }
    };
    if score >= HIGH {
        signed(score - HIGH) ^ (1 << 63)
    } else {
        signed(score)
    }
}

/// Splits an interleaved hash into (latitude index, longitude index): the latitude holds the
/// even bits, the longitude the odd ones.
fn split(bits: u64) -> (u32, u32) {
    let (mut lat, mut lon) = (0u32, 0u32);
    for i in 0..32 {
        lat |= (((bits >> (2 * i)) & 1) as u32) << i;
        lon |= (((bits >> (2 * i + 1)) & 1) as u32) << i;
    }
    (lat, lon)
}

/// The inverse of `split`.
fn join(lat: u32, lon: u32) -> u64 {
    let mut bits = 0u64;
    for i in 0..32 {
        bits |= u64::from((lat >> i) & 1) << (2 * i);
        bits |= u64::from((lon >> i) & 1) << (2 * i + 1);
    }
    bits
}

/// A cell at `step` bits per coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cell {
    lat: u32,
    lon: u32,
    step: u32,
}

/// The edges of a cell: (lon min, lon max, lat min, lat max) over the given latitude range.
fn edges(c: Cell, lat_lo: f64, lat_hi: f64) -> (f64, f64, f64, f64) {
    let n = (1u64 << c.step) as f64;
    let lon_scale = LON_MAX - LON_MIN;
    let lat_scale = lat_hi - lat_lo;
    (
        LON_MIN + (f64::from(c.lon) / n) * lon_scale,
        LON_MIN + (f64::from(c.lon.wrapping_add(1)) / n) * lon_scale,
        lat_lo + (f64::from(c.lat) / n) * lat_scale,
        lat_lo + (f64::from(c.lat.wrapping_add(1)) / n) * lat_scale,
    )
}

/// The position a score stands for: the centre of its cell, clamped to the indexable area.
fn position(score: f64) -> (f64, f64) {
    let (lat, lon) = split(score_bits(score));
    let (x0, x1, y0, y1) = edges(Cell { lat, lon, step: STEPS }, LAT_MIN, LAT_MAX);
    (((x0 + x1) / 2.0).clamp(LON_MIN, LON_MAX), ((y0 + y1) / 2.0).clamp(LAT_MIN, LAT_MAX))
}

/// The cell holding a point (the point must be inside the area).
fn cell_of(lon: f64, lat: f64, step: u32, lat_lo: f64, lat_hi: f64) -> Cell {
    let n = (1u64 << step) as f64;
    let lat_idx = (lat - lat_lo) / (lat_hi - lat_lo) * n;
    let lon_idx = (lon - LON_MIN) / (LON_MAX - LON_MIN) * n;
    Cell { lat: lat_idx as u32, lon: lon_idx as u32, step }
}

/// GEOADD's score for a valid point.
fn score_of(lon: f64, lat: f64) -> u64 {
    let c = cell_of(lon, lat, STEPS, LAT_MIN, LAT_MAX);
    join(c.lat, c.lon)
}

/// GEOHASH's text: the position re-encoded with latitudes -90..90, in base 32.
fn geohash_text(score: f64) -> Vec<u8> {
    const DIGITS: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = position(score);
    let c = cell_of(lon, lat, STEPS, -90.0, 90.0);
    let bits = join(c.lat, c.lon);
    let mut out: Vec<u8> = (0..10).map(|i| DIGITS[((bits >> (47 - 5 * i)) & 31) as usize]).collect();
    out.push(b'0');
    out
}

// ----- distances -----

fn radians(deg: f64) -> f64 {
    deg * (PI / 180.0)
}

fn meridian_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (radians(lat2) - radians(lat1)).abs()
}

fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((radians(lon2) - radians(lon1)) / 2.0).sin();
    if v == 0.0 {
        return meridian_distance(lat1, lat2);
    }
    let (p1, p2) = (radians(lat1), radians(lat2));
    let u = ((p2 - p1) / 2.0).sin();
    let a = u * u + p1.cos() * p2.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

// ----- reply formats -----

/// `%.17Lf` of the double (exact in a long double), trailing zeros trimmed: a bulk string in
/// RESP2, a double in RESP3.
fn coordinate(resp: u8, x: f64) -> Reply {
    let text = human(x);
    if resp >= 3 {
        Reply::Double(text.parse().unwrap_or(x))
    } else {
        Reply::Bulk(text.into_bytes())
    }
}

fn human(x: f64) -> String {
    if x.is_infinite() {
        return format_human(Ld::Inf { neg: x < 0.0 });
    }
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, exp) = if exp_field == 0 { (frac, -1074) } else { (frac | 1 << 52, exp_field - 1075) };
    format_human(Ld::Finite { neg: x.is_sign_negative(), mant, exp })
}

/// A distance with four decimals (llrint of d * 10^4), as a bulk string.
fn distance_reply(d: f64) -> Reply {
    let units = (d * 10000.0).round_ties_even();
    let n = if units.abs() < 9.2e18 { units as i64 } else { i64::MIN };
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    Reply::Bulk(format!("{sign}{}.{:04}", n / 10000, n % 10000).into_bytes())
}

// ----- argument helpers -----

fn meters_per(unit: &[u8]) -> Result<f64, Reply> {
    for (name, meters) in [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)] {
        if opt_is(unit, name) {
            return Ok(meters);
        }
    }
    Err(Reply::err("unsupported unit provided. please use M, KM, FT, MI"))
}

fn number(arg: &[u8], msg: &str) -> Result<f64, Reply> {
    string2d(arg).ok_or_else(|| Reply::err(msg))
}

/// C's "%f".
fn six_decimals(x: f64) -> String {
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    format!("{x:.6}")
}

fn point_arg(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Reply> {
    let lon = number(lon, "value is not a valid float")?;
    let lat = number(lat, "value is not a valid float")?;
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Reply::err(&format!(
            "invalid longitude,latitude pair {},{}",
            six_decimals(lon),
            six_decimals(lat)
        )));
    }
    Ok((lon, lat))
}

fn radius_arg(value: &[u8], unit: &[u8]) -> Result<(f64, f64), Reply> {
    let r = number(value, "need numeric radius")?;
    if r < 0.0 {
        return Err(Reply::err("radius cannot be negative"));
    }
    Ok((r, meters_per(unit)?))
}

// ----- GEOADD, GEOPOS, GEOHASH, GEODIST -----

pub(super) fn geoadd(m: &mut Model, call: &Call) -> Reply {
    let argv = call.argv;
    let mut i = 2;
    let (mut nx, mut xx) = (false, false);
    while i < argv.len() && ["nx", "xx", "ch"].iter().any(|o| opt_is(&argv[i], o)) {
        nx |= opt_is(&argv[i], "nx");
        xx |= opt_is(&argv[i], "xx");
        i += 1;
    }
    if !(argv.len() - i).is_multiple_of(3) || (nx && xx) {
        return Reply::err("syntax error");
    }
    // The points become a ZADD with the geohashes as scores.
    let mut zadd: Vec<Vec<u8>> = vec![b"zadd".to_vec()];
    zadd.extend_from_slice(&argv[1..i]);
    for p in argv[i..].chunks(3) {
        match point_arg(&p[0], &p[1]) {
            Ok((lon, lat)) => {
                zadd.push(score_of(lon, lat).to_string().into_bytes());
                zadd.push(p[2].clone());
            }
            Err(e) => return e,
        }
    }
    let inner = Call { client: call.client, db: call.db, argv: &zadd, now_ms: call.now_ms, name: "zadd" };
    zsets::zadd(m, &inner)
}

fn resp(m: &Model, call: &Call) -> u8 {
    m.client(call.client).resp
}

pub(super) fn geopos(m: &mut Model, call: &Call) -> Reply {
    let resp = resp(m, call);
    let z = match zsets::get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => return e,
        Ok(z) => z,
    };
    let item = |member: &Vec<u8>| match z.as_ref().and_then(|z| z.score(member)) {
        None => Reply::NilArray,
        Some(s) => {
            let (lon, lat) = position(s);
            Reply::Array(vec![coordinate(resp, lon), coordinate(resp, lat)])
        }
    };
    Reply::Array(call.argv[2..].iter().map(item).collect())
}

pub(super) fn geohash(m: &mut Model, call: &Call) -> Reply {
    let z = match zsets::get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => return e,
        Ok(z) => z,
    };
    Reply::Array(
        call.argv[2..]
            .iter()
            .map(|member| z.as_ref().and_then(|z| z.score(member)).map_or(Reply::Nil, |s| Reply::Bulk(geohash_text(s))))
            .collect(),
    )
}

pub(super) fn geodist(m: &mut Model, call: &Call) -> Reply {
    let unit = match call.argv.len() {
        4 => 1.0,
        5 => match meters_per(call.arg(4)) {
            Ok(u) => u,
            Err(e) => return e,
        },
        _ => return Reply::err("syntax error"),
    };
    let z = match zsets::get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Nil,
        Ok(Some(z)) => z,
    };
    match (z.score(call.arg(2)), z.score(call.arg(3))) {
        (Some(a), Some(b)) => {
            let ((x1, y1), (x2, y2)) = (position(a), position(b));
            distance_reply(haversine(x1, y1, x2, y2) / unit)
        }
        _ => Reply::Nil,
    }
}

mod search;
pub(super) use search::{georadius, georadius_ro, georadiusbymember, georadiusbymember_ro, geosearch, geosearchstore};

//! Geo commands (Redis's geo.c) on top of sorted sets: a point is a member whose score is its
//! 52-bit geohash.
//!
//! - `hash`: the geohash, the cells a search scans, distances.
//! - `search`: GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH, GEOSEARCHSTORE.
//! - `sort`: the sorts Redis applies to search results (ties keep Redis's order).
//! - here: GEOADD, GEOPOS, GEODIST, GEOHASH, and the argument and number formats they share.

pub mod hash;
mod search;
mod sort;

use crate::cmd::zsets::score::string2d;
use crate::engine::longdouble::LongDouble;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "geoadd" => geoadd,
        "geopos" => geopos,
        "geodist" => geodist,
        "geohash" => geohash,
        "georadius" => search::georadius,
        "georadius_ro" => search::georadius_ro,
        "georadiusbymember" => search::georadiusbymember,
        "georadiusbymember_ro" => search::georadiusbymember_ro,
        "geosearch" => search::geosearch,
        "geosearchstore" => search::geosearchstore,
        _ => return None,
    };
    Some(h)
}

const UNSUPPORTED_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const UNDECODABLE_MEMBER: &str = "ERR could not decode requested zset member";

/// An option name compared as strcasecmp compares C strings (up to a NUL byte).
fn opt(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// lookupKeyRead plus checkType for a sorted set.
fn read_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ZSet>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// extractUnitOrReply: meters per unit.
fn unit(arg: &[u8]) -> Result<f64, Frame> {
    match () {
        _ if opt(arg, "m") => Ok(1.0),
        _ if opt(arg, "km") => Ok(1000.0),
        _ if opt(arg, "ft") => Ok(0.3048),
        _ if opt(arg, "mi") => Ok(1609.34),
        _ => Err(Frame::error(UNSUPPORTED_UNIT)),
    }
}

/// A double argument (getDoubleFromObjectOrReply) with Redis's generic or a given error text.
fn double(arg: &[u8], message: Option<&str>) -> Result<f64, Frame> {
    string2d(arg).ok_or_else(|| Frame::error(message.unwrap_or(errors::NOT_FLOAT)))
}

/// C's printf("%f"): six decimals, exactly rounded (ties to even, as glibc).
fn c_fixed6(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{x:.6}")
}

/// extractLongLatOrReply: a longitude and latitude inside the indexable area.
fn lonlat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Frame> {
    let (lon, lat) = (double(lon, None)?, double(lat, None)?);
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&lon) || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&lat) {
        return Err(Frame::error(format!("ERR invalid longitude,latitude pair {},{}", c_fixed6(lon), c_fixed6(lat))));
    }
    Ok((lon, lat))
}

/// addReplyHumanLongDouble: the double printed as "%.17Lf" with trailing zeros trimmed; a bulk
/// string in RESP2, a double in RESP3 (with that text, not the usual %.17g).
fn human_double(resp: u8, x: f64) -> Frame {
    let text = human_text(x);
    if resp >= 3 {
        Frame::Raw(format!(",{text}\r\n").into_bytes())
    } else {
        Frame::Bulk(text.into_bytes())
    }
}

/// The "%.17Lf"-and-trim text of a double (exact: the double is converted to the x87 format).
pub fn human_text(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mant, exp) = if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased - 1075) };
    let shift = i64::from(mant.leading_zeros());
    LongDouble::Finite { neg: x < 0.0, mant: mant << shift, exp: exp - shift }.to_human()
}

/// addReplyDoubleDistance: four decimals (fixedpoint_d2string, rounding with llrint), a bulk
/// string in both protocols.
fn distance_reply(d: f64) -> Frame {
    Frame::Bulk(distance_text(d).into_bytes())
}

pub fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = (d * 10000.0).round_ties_even();
    // llrint's out-of-range result is LLONG_MIN.
    let v = if scaled.is_finite() && (-9.223372036854776e18..9.223372036854776e18).contains(&scaled) {
        scaled as i64
    } else {
        i64::MIN
    };
    let sign = if v < 0 { "-" } else { "" };
    let u = v.unsigned_abs();
    format!("{sign}{}.{:04}", u / 10000, u % 10000)
}

/// GEOADD key [NX|XX] [CH] longitude latitude member ...: checked here, then run as the ZADD
/// with the encoded scores, as Redis does.
fn geoadd(ctx: &mut Ctx) -> Frame {
    let argv = ctx.argv;
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < argv.len() {
        let a = &argv[first];
        if opt(a, "nx") {
            nx = true;
        } else if opt(a, "xx") {
            xx = true;
        } else if !opt(a, "ch") {
            break;
        }
        first += 1;
    }
    if !(argv.len() - first).is_multiple_of(3) || (nx && xx) {
        return Frame::error(errors::SYNTAX);
    }
    let mut zadd_argv: Vec<Vec<u8>> = Vec::with_capacity(first + (argv.len() - first) / 3 * 2);
    zadd_argv.push(b"zadd".to_vec());
    zadd_argv.extend(argv[1..first].iter().cloned());
    for point in argv[first..].chunks(3) {
        let (lon, lat) = match lonlat(&point[0], &point[1]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        zadd_argv.push(hash::lonlat_to_score(lon, lat).to_string().into_bytes());
        zadd_argv.push(point[2].clone());
    }
    let Some(zadd) = crate::cmd::zsets::handler("zadd") else {
        return Frame::error(errors::SYNTAX);
    };
    let dirty_before = ctx.engine.dirty;
    let mut zctx = Ctx { engine: ctx.engine, client: ctx.client, argv: &zadd_argv, now_ms: ctx.now_ms, meta: ctx.meta };
    let reply = zadd(&mut zctx);
    // Redis replaced the command vector: a change propagates as the ZADD.
    if ctx.engine.dirty > dirty_before {
        ctx.propagate_as(zadd_argv);
    }
    reply
}

/// GEOPOS key member ...: each member's position, or a null array.
fn geopos(ctx: &mut Ctx) -> Frame {
    let (argv, resp) = (ctx.argv, ctx.client.resp);
    let z = match read_zset(ctx, &argv[1]) {
        Err(e) => return e,
        Ok(z) => z,
    };
    Frame::Array(
        argv[2..]
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                None => Frame::NullArray,
                Some(score) => {
                    let (lon, lat) = hash::score_to_lonlat(score);
                    Frame::Array(vec![human_double(resp, lon), human_double(resp, lat)])
                }
            })
            .collect(),
    )
}

/// GEOHASH key member ...: each member's 11-character geohash, or null.
fn geohash(ctx: &mut Ctx) -> Frame {
    let argv = ctx.argv;
    let z = match read_zset(ctx, &argv[1]) {
        Err(e) => return e,
        Ok(z) => z,
    };
    Frame::Array(
        argv[2..]
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                None => Frame::Null,
                Some(score) => Frame::Bulk(hash::geohash_string(score).to_vec()),
            })
            .collect(),
    )
}

/// GEODIST key member1 member2 [unit].
fn geodist(ctx: &mut Ctx) -> Frame {
    let argv = ctx.argv;
    let to_meters = match argv.len() {
        5 => match unit(&argv[4]) {
            Ok(u) => u,
            Err(e) => return e,
        },
        n if n > 5 => return Frame::error(errors::SYNTAX),
        _ => 1.0,
    };
    let z = match read_zset(ctx, &argv[1]) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(z)) => z,
    };
    let (Some(s1), Some(s2)) = (z.score(&argv[2]), z.score(&argv[3])) else {
        return Frame::Null;
    };
    let (lon1, lat1) = hash::score_to_lonlat(s1);
    let (lon2, lat2) = hash::score_to_lonlat(s2);
    distance_reply(hash::distance(lon1, lat1, lon2, lat2) / to_meters)
}

#[cfg(test)]
mod tests;

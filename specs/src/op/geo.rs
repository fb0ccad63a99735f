//! Generated geo operations: a handful of points on a small grid (neighbours about 111 m apart,
//! some sharing a position so distances tie, some on the edges of the indexable area), members
//! from the sorted set alphabet, radii and boxes that land on and around the grid distances,
//! every unit, every reply option, and some invalid arguments.

use super::{pick, Args, Key, ZMember, ZMemberList};
use arbitrary::Arbitrary;

/// A longitude (mostly valid).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoLon(pub u8);

const LON_TABLE: &[&str] =
    &["0", "0", "0.001", "0.002", "-0.001", "0.001", "13.361389", "15.087269", "180", "-180", "0.5", "x", "181", "-0"];

/// A latitude (mostly valid).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoLat(pub u8);

const LAT_TABLE: &[&str] =
    &["0", "0", "0.001", "-0.001", "0.002", "38.115556", "37.502669", "85.05112878", "-85.05112878", "80.5", "y", "86"];

/// A radius, width or height.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoSize(pub u8);

const SIZE_TABLE: &[&str] =
    &["0", "111", "112", "157", "200", "250", "1000", "200000", "500", "20000000", "-1", "x", "0.1", "inf"];

/// A unit.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoUnit(pub u8);

const UNIT_TABLE: &[&str] = &["m", "m", "m", "km", "mi", "ft", "KM", "furlong"];

/// A COUNT argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoCount(pub u8);

const GEO_COUNT_TABLE: &[&str] = &["1", "2", "3", "1", "2", "5", "0", "-1", "x"];

/// A point to add.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoPoint(pub GeoLon, pub GeoLat, pub ZMember);

/// GEOADD's options.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoAddFlags(pub u8);

const GEOADD_OPTIONS: &[&[&str]] =
    &[&[], &[], &[], &["NX"], &["XX"], &["CH"], &["XX", "CH"], &["nx", "ch"], &["NX", "XX"]];

/// The reply options of a search (bits: WITHDIST, WITHHASH, WITHCOORD; the order and COUNT).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeoOpts {
    pub with: u8,
    pub order: Option<bool>,
    pub count: Option<(GeoCount, bool)>,
}

impl GeoOpts {
    fn push(self, mut a: Args) -> Args {
        for (bit, name) in [(1, "WITHDIST"), (2, "WITHHASH"), (4, "WITHCOORD")] {
            if self.with & bit != 0 {
                a = a.s(name);
            }
        }
        match self.order {
            Some(true) => a = a.s("DESC"),
            Some(false) => a = a.s("ASC"),
            None => {}
        }
        if let Some((c, any)) = self.count {
            a = a.s("COUNT").s(pick(GEO_COUNT_TABLE, c.0));
            if any {
                a = a.s("ANY");
            }
        } else if self.with & 8 != 0 {
            a = a.s("ANY"); // ANY without COUNT
        }
        a
    }
}

/// A search centre.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoFrom {
    Member(ZMember),
    LonLat(GeoLon, GeoLat),
}

/// A search shape.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoShape {
    Radius(GeoSize, GeoUnit),
    Box(GeoSize, GeoSize, GeoUnit),
}

/// A read-only geo command.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum GeoRead {
    Pos(Key, ZMemberList),
    Hash(Key, ZMemberList),
    Dist(Key, ZMember, ZMember, Option<GeoUnit>),
    Malformed(u8),
}

const GEO_MALFORMED_TABLE: &[&[&str]] = &[
    &["geoadd", "a", "1", "1"],
    &["geoadd", "a", "ch", "ch", "ch"],
    &["geoadd", "a", "gt", "1", "1"],
    &["geodist", "a", "b", "c", "km", "x"],
    &["georadius", "a", "0", "0", "1", "km", "STORE"],
    &["georadius", "a", "0", "0", "1", "km", "STORE", "b", "WITHDIST"],
    &["georadius_ro", "a", "0", "0", "1", "km", "STORE", "b"],
    &["georadiusbymember", "a", "a", "1", "km", "count"],
    &["geosearch", "a", "FROMLONLAT", "0", "0"],
    &["geosearch", "a", "BYRADIUS", "1", "km"],
    &["GeoSearch", "a", "BYBOX", "1", "1", "km"],
    &["geosearch", "a", "FROMLONLAT", "0", "0", "FROMMEMBER", "a", "BYRADIUS", "1", "km"],
    &["geosearch", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
    &["geosearch", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "STOREDIST"],
    &["geosearchstore", "b", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "WITHCOORD"],
    &["geosearchstore", "b", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "STORE", "c"],
    &["geosearch", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "count\0x", "1"],
];

/// A search command.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum GeoSearchOp {
    /// GEORADIUS / GEORADIUS_RO (`ro`) with an optional STORE or STOREDIST (`true`).
    Radius {
        key: Key,
        lon: GeoLon,
        lat: GeoLat,
        size: GeoSize,
        unit: GeoUnit,
        opts: GeoOpts,
        store: Option<(Key, bool)>,
        ro: bool,
    },
    /// GEORADIUSBYMEMBER / _RO.
    ByMember {
        key: Key,
        member: ZMember,
        size: GeoSize,
        unit: GeoUnit,
        opts: GeoOpts,
        store: Option<(Key, bool)>,
        ro: bool,
    },
    /// GEOSEARCH, or GEOSEARCHSTORE into `store` (with STOREDIST when `true`).
    Search { key: Key, from: GeoFrom, shape: GeoShape, opts: GeoOpts, store: Option<(Key, bool)> },
}

pub fn geoadd(key: Key, flags: GeoAddFlags, points: &[GeoPoint]) -> Vec<Vec<u8>> {
    let mut a = Args::new("GEOADD").b(key.bytes());
    for o in pick(GEOADD_OPTIONS, flags.0) {
        a = a.s(o);
    }
    for p in points.iter().take(4) {
        a = a.s(pick(LON_TABLE, p.0 .0)).s(pick(LAT_TABLE, p.1 .0)).b(p.2.bytes());
    }
    a.0
}

pub fn read(op: &GeoRead) -> Vec<Vec<u8>> {
    match op {
        GeoRead::Pos(k, list) => Args::new("GEOPOS").b(k.bytes()).members_z(list).0,
        GeoRead::Hash(k, list) => Args::new("GEOHASH").b(k.bytes()).members_z(list).0,
        GeoRead::Dist(k, m1, m2, unit) => {
            let a = Args::new("GEODIST").b(k.bytes()).b(m1.bytes()).b(m2.bytes());
            match unit {
                Some(u) => a.s(pick(UNIT_TABLE, u.0)).0,
                None => a.0,
            }
        }
        GeoRead::Malformed(i) => pick(GEO_MALFORMED_TABLE, *i).iter().map(|s| s.as_bytes().to_vec()).collect(),
    }
}

fn store(a: Args, store: Option<(Key, bool)>) -> Args {
    match store {
        Some((k, true)) => a.s("STOREDIST").b(k.bytes()),
        Some((k, false)) => a.s("STORE").b(k.bytes()),
        None => a,
    }
}

pub fn search(op: &GeoSearchOp) -> Vec<Vec<u8>> {
    match *op {
        GeoSearchOp::Radius { key, lon, lat, size, unit, opts, store: st, ro } => {
            let a = Args::new(if ro { "GEORADIUS_RO" } else { "GEORADIUS" })
                .b(key.bytes())
                .s(pick(LON_TABLE, lon.0))
                .s(pick(LAT_TABLE, lat.0))
                .s(pick(SIZE_TABLE, size.0))
                .s(pick(UNIT_TABLE, unit.0));
            store(opts.push(a), st).0
        }
        GeoSearchOp::ByMember { key, member, size, unit, opts, store: st, ro } => {
            let a = Args::new(if ro { "GEORADIUSBYMEMBER_RO" } else { "GEORADIUSBYMEMBER" })
                .b(key.bytes())
                .b(member.bytes())
                .s(pick(SIZE_TABLE, size.0))
                .s(pick(UNIT_TABLE, unit.0));
            store(opts.push(a), st).0
        }
        GeoSearchOp::Search { key, from, shape, opts, store: st } => {
            let mut a = match st {
                Some((dst, _)) => Args::new("GEOSEARCHSTORE").b(dst.bytes()).b(key.bytes()),
                None => Args::new("GEOSEARCH").b(key.bytes()),
            };
            a = match from {
                GeoFrom::Member(m) => a.s("FROMMEMBER").b(m.bytes()),
                GeoFrom::LonLat(lon, lat) => a.s("FROMLONLAT").s(pick(LON_TABLE, lon.0)).s(pick(LAT_TABLE, lat.0)),
            };
            a = match shape {
                GeoShape::Radius(s, u) => a.s("BYRADIUS").s(pick(SIZE_TABLE, s.0)).s(pick(UNIT_TABLE, u.0)),
                GeoShape::Box(w, h, u) => {
                    a.s("BYBOX").s(pick(SIZE_TABLE, w.0)).s(pick(SIZE_TABLE, h.0)).s(pick(UNIT_TABLE, u.0))
                }
            };
            // GEOSEARCHSTORE never takes the WITH options in generated ops that store.
            let opts = if st.is_some() { GeoOpts { with: opts.with & 8, ..opts } } else { opts };
            a = opts.push(a);
            if let Some((_, true)) = st {
                a = a.s("STOREDIST");
            }
            a.0
        }
    }
}

/// Decodes a geo-heavy operation sequence from raw bytes (for the geo state-machine test): mostly
/// GEOADD, searches and reads, with some SET and DEL on the same keys for type clashes.
pub fn geo_ops_from_bytes(bytes: &[u8], max_ops: usize) -> Vec<super::Op> {
    use super::{KeyList, Op, Val};
    let mut u = arbitrary::Unstructured::new(bytes);
    let mut ops = Vec::new();
    let one = |u: &mut arbitrary::Unstructured| -> arbitrary::Result<Op> {
        let key = |u: &mut arbitrary::Unstructured| Key::arbitrary(u).map(|k| Key(k.0 % 8));
        Ok(match u.int_in_range(0..=19u8)? {
            0..=6 => {
                let more = (0..u.int_in_range(0..=3u8)?).map(|_| GeoPoint::arbitrary(u)).collect::<Result<_, _>>()?;
                Op::GeoAdd(key(u)?, GeoAddFlags::arbitrary(u)?, GeoPoint::arbitrary(u)?, more)
            }
            7..=9 => Op::GeoRead(GeoRead::arbitrary(u)?),
            10..=17 => Op::GeoSearch(GeoSearchOp::arbitrary(u)?),
            18 => Op::Set { key: key(u)?, value: Val(6), cond: None, get: false, expire: None },
            _ => Op::Del(KeyList(vec![key(u)?])),
        })
    };
    while ops.len() < max_ops {
        match one(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}

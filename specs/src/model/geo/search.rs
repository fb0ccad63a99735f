//! GEORADIUS, GEORADIUSBYMEMBER (and _RO), GEOSEARCH, GEOSEARCHSTORE in the model.

use super::super::dispatch::Call;
use super::super::zsets::{self, ZSetValue};
use super::super::Model;
use super::{
    distance_reply, edges, haversine, join, meridian_distance, meters_per, number, point_arg, position, radians,
    radius_arg, resp, Cell, EARTH_RADIUS_M, LAT_MAX, LAT_MIN, MERCATOR_MAX,
};
use crate::num::{int_arg, opt_is};
use crate::reply::Reply;
use std::cmp::Ordering;

/// The area searched: a circle (`box_wh == None`) or a box, in a unit of `unit_m` meters.
#[derive(Clone, Copy, Default)]
struct Area {
    lon: f64,
    lat: f64,
    radius: f64,
    box_wh: Option<(f64, f64)>,
    unit_m: f64,
}

impl Area {
    /// The distance from the centre in meters, if the point is inside.
    fn test(&self, lon: f64, lat: f64) -> Option<f64> {
        let d = || haversine(self.lon, self.lat, lon, lat);
        match self.box_wh {
            None => Some(d()).filter(|&d| d <= self.radius * self.unit_m),
            Some((w, h)) => {
                let inside = meridian_distance(lat, self.lat) <= h * self.unit_m / 2.0
                    && haversine(lon, lat, self.lon, lat) <= w * self.unit_m / 2.0;
                inside.then(d)
            }
        }
    }

    /// (min lon, min lat, max lon, max lat) of the area.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let (hw, hh) = self.box_wh.map_or((self.radius, self.radius), |(w, h)| (w / 2.0, h / 2.0));
        let (width, height) = (self.unit_m * hw, self.unit_m * hh);
        let dlat = height / EARTH_RADIUS_M / (std::f64::consts::PI / 180.0);
        let lon_delta = |at: f64| width / EARTH_RADIUS_M / radians(at).cos() / (std::f64::consts::PI / 180.0);
        let dlon = if self.lat < 0.0 { lon_delta(self.lat - dlat) } else { lon_delta(self.lat + dlat) };
        (self.lon - dlon, self.lat - dlat, self.lon + dlon, self.lat + dlat)
    }

    /// The radius that chooses the cell size, in meters.
    fn reach_m(&self) -> f64 {
        let r = match self.box_wh {
            None => self.radius,
            Some((w, h)) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
        };
        r * self.unit_m
    }
}

/// The number of bits per coordinate for cells that cover `reach_m` around latitude `lat`.
fn cell_bits(reach_m: f64, lat: f64) -> u32 {
    if reach_m == 0.0 {
        return 26;
    }
    let (mut r, mut step) = (reach_m, 1i64);
    while r < MERCATOR_MAX && step < 2000 {
        r *= 2.0;
        step += 1;
    }
    step -= 2;
    if lat.abs() > 66.0 {
        step -= 1;
    }
    if lat.abs() > 80.0 {
        step -= 1;
    }
    step.clamp(1, 26) as u32
}

/// The cell `dx` columns east and `dy` rows north of `c`, wrapping around. A coordinate that does
/// not move keeps its index even when it is one past the last cell (a point on the east or north
/// edge of the area encodes so), as Redis's bit arithmetic only reduces the moved coordinate.
fn shifted(c: Cell, dx: i64, dy: i64) -> Cell {
    let n = 1i64 << c.step;
    let towards = |idx: u32, d: i64| if d == 0 { idx } else { (i64::from(idx) + d).rem_euclid(n) as u32 };
    Cell { lat: towards(c.lat, dy), lon: towards(c.lon, dx), step: c.step }
}

/// The cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW); `None` for the
/// neighbours that lie beyond the area.
fn cells(area: &Area) -> Vec<Option<Cell>> {
    let (min_lon, min_lat, max_lon, max_lat) = area.bounds();
    let mut step = cell_bits(area.reach_m(), area.lat);
    let around = |step: u32| {
        let c = super::cell_of(area.lon, area.lat, step, LAT_MIN, LAT_MAX);
        let dirs = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)];
        dirs.map(|(dx, dy)| shifted(c, dx, dy))
    };
    let mut all = around(step);
    let e = |c: Cell| edges(c, LAT_MIN, LAT_MAX);
    let short = e(all[1]).3 < max_lat || e(all[2]).2 > min_lat || e(all[3]).1 < max_lon || e(all[4]).0 > min_lon;
    if step > 1 && short {
        step -= 1;
        all = around(step);
    }
    let mut keep = [true; 9];
    if step >= 2 {
        let (x0, x1, y0, y1) = e(all[0]);
        let mut drop = |idx: [usize; 3]| idx.iter().for_each(|&i| keep[i] = false);
        if y0 < min_lat {
            drop([2, 7, 8]);
        }
        if y1 > max_lat {
            drop([1, 5, 6]);
        }
        if x0 < min_lon {
            drop([4, 6, 8]);
        }
        if x1 > max_lon {
            drop([3, 5, 7]);
        }
    }
    all.iter().zip(keep).map(|(c, k)| k.then_some(*c)).collect()
}

/// A point found.
#[derive(Clone)]
struct Found {
    member: Vec<u8>,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

/// Scans the cells; `limit` (ANY) stops the scan early.
fn scan(z: &ZSetValue, area: &Area, limit: usize) -> Vec<Found> {
    let sorted = z.sorted();
    let list = cells(area);
    let full = |found: &Vec<Found>| limit > 0 && found.len() >= limit;
    let mut found = Vec::new();
    let mut previous: Option<usize> = None;
    for (i, cell) in list.iter().enumerate() {
        let Some(cell) = cell else { continue };
        if matches!(previous, Some(p) if p > 0 && list[p] == Some(*cell)) {
            continue;
        }
        if full(&found) {
            break;
        }
        let shift = 52 - 2 * cell.step;
        let base = join(cell.lat, cell.lon);
        let (lo, hi) = ((base << shift) as f64, ((base + 1) << shift) as f64);
        for (member, score) in sorted.iter().filter(|(_, s)| *s >= lo && *s < hi) {
            let (lon, lat) = position(*score);
            if let Some(dist) = area.test(lon, lat) {
                found.push(Found { member: member.clone(), score: *score, lon, lat, dist });
            }
            if full(&found) {
                break;
            }
        }
        previous = Some(i);
    }
    found
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Coords,
    Member,
    Search,
}

pub(in super::super) fn georadius(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Coords, false, false)
}
pub(in super::super) fn georadius_ro(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Coords, true, false)
}
pub(in super::super) fn georadiusbymember(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Member, false, false)
}
pub(in super::super) fn georadiusbymember_ro(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Member, true, false)
}
pub(in super::super) fn geosearch(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Search, false, false)
}
pub(in super::super) fn geosearchstore(m: &mut Model, call: &Call) -> Reply {
    generic(m, call, Kind::Search, false, true)
}

fn generic(m: &mut Model, call: &Call, kind: Kind, read_only: bool, search_store: bool) -> Reply {
    match search(m, call, kind, read_only, search_store) {
        Ok(r) | Err(r) => r,
    }
}

fn member_at(z: &Option<ZSetValue>, member: &[u8]) -> Result<(f64, f64), Reply> {
    z.as_ref()
        .and_then(|z| z.score(member))
        .map(position)
        .ok_or_else(|| Reply::err("could not decode requested zset member"))
}

fn search(m: &mut Model, call: &Call, kind: Kind, read_only: bool, search_store: bool) -> Result<Reply, Reply> {
    let a = call.argv;
    let src = if search_store { 2 } else { 1 };
    let z = zsets::get(m, call.db, &a[src], call.now_ms)?;
    let mut area = Area::default();
    let mut dest: Option<&[u8]> = if search_store { Some(&a[1]) } else { None };
    let first_opt = match kind {
        Kind::Coords => {
            (area.lon, area.lat) = point_arg(&a[2], &a[3])?;
            (area.radius, area.unit_m) = radius_arg(&a[4], &a[5])?;
            6
        }
        Kind::Member => {
            if z.is_some() {
                (area.lon, area.lat) = member_at(&z, &a[2])?;
                (area.radius, area.unit_m) = radius_arg(&a[3], &a[4])?;
            }
            5
        }
        Kind::Search => src + 1,
    };
    let is_search = kind == Kind::Search;
    let (mut dist, mut hash, mut coord, mut any, mut store_dist) = (false, false, false, false, false);
    let mut order: Option<bool> = None; // Some(true) = descending
    let mut count: i64 = 0;
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) = (false, false, false, false);
    let opts = &a[first_opt..];
    let mut i = 0;
    while i < opts.len() {
        let o = &opts[i];
        let after = opts.len() - 1 - i;
        if opt_is(o, "withdist") {
            dist = true;
        } else if opt_is(o, "withhash") {
            hash = true;
        } else if opt_is(o, "withcoord") {
            coord = true;
        } else if opt_is(o, "any") {
            any = true;
        } else if opt_is(o, "asc") {
            order = Some(false);
        } else if opt_is(o, "desc") {
            order = Some(true);
        } else if opt_is(o, "count") && after >= 1 {
            count = int_arg(&opts[i + 1])?;
            if count <= 0 {
                return Err(Reply::err("COUNT must be > 0"));
            }
            i += 1;
        } else if opt_is(o, "store") && after >= 1 && !read_only && !is_search {
            dest = Some(&opts[i + 1]);
            store_dist = false;
            i += 1;
        } else if opt_is(o, "storedist") && after >= 1 && !read_only && !is_search {
            dest = Some(&opts[i + 1]);
            store_dist = true;
            i += 1;
        } else if opt_is(o, "storedist") && search_store {
            store_dist = true;
        } else if opt_is(o, "frommember") && after >= 1 && is_search && !from_lonlat {
            if z.is_some() {
                (area.lon, area.lat) = member_at(&z, &opts[i + 1])?;
            }
            from_member = true;
            i += 1;
        } else if opt_is(o, "fromlonlat") && after >= 2 && is_search && !from_member {
            (area.lon, area.lat) = point_arg(&opts[i + 1], &opts[i + 2])?;
            from_lonlat = true;
            i += 2;
        } else if opt_is(o, "byradius") && after >= 2 && is_search && !by_box {
            (area.radius, area.unit_m) = radius_arg(&opts[i + 1], &opts[i + 2])?;
            area.box_wh = None;
            by_radius = true;
            i += 2;
        } else if opt_is(o, "bybox") && after >= 3 && is_search && !by_radius {
            let w = number(&opts[i + 1], "need numeric width")?;
            let h = number(&opts[i + 2], "need numeric height")?;
            if w < 0.0 || h < 0.0 {
                return Err(Reply::err("height or width cannot be negative"));
            }
            area.unit_m = meters_per(&opts[i + 3])?;
            area.box_wh = Some((w, h));
            by_box = true;
            i += 3;
        } else {
            return Err(Reply::err("syntax error"));
        }
        i += 1;
    }
    if dest.is_some() && (dist || hash || coord) {
        let who = if search_store { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(Reply::err(&format!("{who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")));
    }
    let typed = String::from_utf8_lossy(&a[0]);
    if is_search && !(from_member || from_lonlat) {
        return Err(Reply::err(&format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {typed}")));
    }
    if is_search && !(by_radius || by_box) {
        return Err(Reply::err(&format!("exactly one of BYRADIUS and BYBOX can be specified for {typed}")));
    }
    if any && count == 0 {
        return Err(Reply::err("the ANY argument requires COUNT argument"));
    }
    let Some(z) = z else {
        return Ok(match dest {
            Some(d) => zsets::store_raising(m, call, d, ZSetValue::new(true), store_event(call)),
            None => Reply::Array(vec![]),
        });
    };
    if count > 0 && order.is_none() && !any {
        order = Some(false);
    }
    let mut found = scan(&z, &area, if any { count as usize } else { 0 });
    if found.is_empty() && dest.is_none() {
        return Ok(Reply::Array(vec![]));
    }
    let n = if count > 0 { found.len().min(count as usize) } else { found.len() };
    if let Some(desc) = order {
        let cmp = move |x: &Found, y: &Found| {
            let o = if x.dist > y.dist {
                Ordering::Greater
            } else if x.dist == y.dist {
                Ordering::Equal
            } else {
                Ordering::Less
            };
            if desc {
                o.reverse()
            } else {
                o
            }
        };
        if n == found.len() {
            found.sort_by(cmp);
        } else if n > 0 {
            super::super::pqsort::pqsort(&mut found, &cmp, n - 1);
        }
    }
    found.truncate(n);
    for f in &mut found {
        f.dist /= area.unit_m;
    }
    let Some(d) = dest else {
        let resp = resp(m, call);
        let items = found.into_iter().map(|f| {
            if !(dist || hash || coord) {
                return Reply::Bulk(f.member);
            }
            let mut v = vec![Reply::Bulk(f.member)];
            if dist {
                v.push(distance_reply(f.dist));
            }
            if hash {
                v.push(Reply::Int(f.score as i64));
            }
            if coord {
                v.push(Reply::Array(vec![super::coordinate(resp, f.lon), super::coordinate(resp, f.lat)]));
            }
            Reply::Array(v)
        });
        return Ok(Reply::Array(items.collect()));
    };
    let mut out = ZSetValue::new(false);
    for f in found {
        let s = if store_dist { f.dist } else { f.score };
        if out.score(&f.member).is_some() {
            out.rescore(&f.member, s);
        } else {
            out.add_new(&f.member, s);
        }
    }
    out.shrink_if_fits();
    Ok(zsets::store_raising(m, call, d, out, store_event(call)))
}

/// The keyspace event of a geo STORE (Redis: GEOSEARCHSTORE's, or every GEORADIUS form's).
fn store_event(call: &Call) -> &'static str {
    if call.name == "geosearchstore" {
        "geosearchstore"
    } else {
        "georadiusstore"
    }
}

//! GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and GEOSEARCHSTORE: Redis's
//! georadiusGeneric. The search scans the score ranges of up to nine geohash cells around the
//! centre (see `hash::search_cells`), keeps the points inside the shape, sorts them if asked,
//! and replies with them or stores them.

use super::hash::{self, Extent, Shape};
use super::sort::{full_sort, partial_sort};
use super::{distance_reply, double, human_double, lonlat, opt, read_zset, unit, UNDECODABLE_MEMBER};
use crate::cmd::args::int_arg;
use crate::engine::value::Value;
use crate::engine::zset::{Limits, ZSet};
use crate::engine::{errors, Ctx};
use crate::resp::Frame;
use std::cmp::Ordering;

/// Which command form is running.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS: the centre is given as coordinates.
    ByCoords,
    /// GEORADIUSBYMEMBER: the centre is a member.
    ByMember,
    /// GEOSEARCH (and GEOSEARCHSTORE with `store`).
    Search,
}

#[derive(Clone, Copy)]
struct Flags {
    form: Form,
    /// The _RO forms: no STORE/STOREDIST.
    no_store: bool,
    /// GEOSEARCHSTORE.
    search_store: bool,
}

pub fn georadius(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Flags { form: Form::ByCoords, no_store: false, search_store: false })
}

pub fn georadius_ro(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Flags { form: Form::ByCoords, no_store: true, search_store: false })
}

pub fn georadiusbymember(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Flags { form: Form::ByMember, no_store: false, search_store: false })
}

pub fn georadiusbymember_ro(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Flags { form: Form::ByMember, no_store: true, search_store: false })
}

pub fn geosearch(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Flags { form: Form::Search, no_store: false, search_store: false })
}

pub fn geosearchstore(ctx: &mut Ctx) -> Frame {
    generic(ctx, 2, Flags { form: Form::Search, no_store: false, search_store: true })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One point found (Redis's geoPoint).
struct Point {
    member: Vec<u8>,
    lon: f64,
    lat: f64,
    /// Meters while searching; in the requested unit once replied or stored.
    dist: f64,
    score: f64,
}

/// The parsed request.
struct Request<'a> {
    store: Option<&'a [u8]>,
    store_dist: bool,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    any: bool,
    count: i64,
}

/// The source set without the side effects of a lookup (done once, at the start).
fn source<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c ZSet> {
    match ctx.db().entry(key).map(|e| &e.value) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// The decoded position of `member` in the source set.
fn member_position(ctx: &mut Ctx, key: &[u8], member: &[u8]) -> Result<(f64, f64), Frame> {
    source(ctx, key)
        .and_then(|z| z.score(member))
        .map(hash::score_to_lonlat)
        .ok_or_else(|| Frame::error(UNDECODABLE_MEMBER))
}

/// extractDistanceOrReply: a radius and its unit; (radius, meters per unit).
fn radius(value: &[u8], unit_arg: &[u8]) -> Result<(f64, f64), Frame> {
    let r = double(value, Some("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(Frame::error("ERR radius cannot be negative"));
    }
    Ok((r, unit(unit_arg)?))
}

/// extractBoxOrReply: (width, height, meters per unit).
fn box_size(w: &[u8], h: &[u8], unit_arg: &[u8]) -> Result<(f64, f64, f64), Frame> {
    let w = double(w, Some("ERR need numeric width"))?;
    let h = double(h, Some("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(Frame::error("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(unit_arg)?))
}

fn generic(ctx: &mut Ctx, src_at: usize, flags: Flags) -> Frame {
    match run(ctx, src_at, flags) {
        Ok(f) | Err(f) => f,
    }
}

fn run(ctx: &mut Ctx, src_at: usize, flags: Flags) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let src = &argv[src_at];
    let exists = read_zset(ctx, src)?.is_some();
    let mut shape = Shape { lon: 0.0, lat: 0.0, extent: Extent::Radius(0.0), conversion: 0.0 };
    let mut req = Request {
        store: None,
        store_dist: false,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: Sort::None,
        any: false,
        count: 0,
    };
    let base = match flags.form {
        Form::ByCoords => {
            (shape.lon, shape.lat) = lonlat(&argv[2], &argv[3])?;
            let (r, conversion) = radius(&argv[4], &argv[5])?;
            (shape.extent, shape.conversion) = (Extent::Radius(r), conversion);
            6
        }
        // Without a source there is nothing to look up, but the options are still parsed.
        Form::ByMember if !exists => 5,
        Form::ByMember => {
            (shape.lon, shape.lat) = member_position(ctx, src, &argv[2])?;
            let (r, conversion) = radius(&argv[3], &argv[4])?;
            (shape.extent, shape.conversion) = (Extent::Radius(r), conversion);
            5
        }
        Form::Search if flags.search_store => {
            req.store = Some(&argv[1]);
            3
        }
        Form::Search => 2,
    };
    let search = flags.form == Form::Search;
    let (mut from_member, mut from_loc, mut by_radius, mut by_box) = (false, false, false, false);
    let rest = &argv[base..];
    let mut i = 0;
    while i < rest.len() {
        let a = &rest[i];
        let left = rest.len() - i - 1; // arguments after this one
        if opt(a, "withdist") {
            req.with_dist = true;
        } else if opt(a, "withhash") {
            req.with_hash = true;
        } else if opt(a, "withcoord") {
            req.with_coord = true;
        } else if opt(a, "any") {
            req.any = true;
        } else if opt(a, "asc") {
            req.sort = Sort::Asc;
        } else if opt(a, "desc") {
            req.sort = Sort::Desc;
        } else if opt(a, "count") && left >= 1 {
            req.count = int_arg(&rest[i + 1])?;
            if req.count <= 0 {
                return Err(Frame::error("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (opt(a, "store") || opt(a, "storedist")) && left >= 1 && !flags.no_store && !search {
            req.store = Some(&rest[i + 1]);
            req.store_dist = opt(a, "storedist");
            i += 1;
        } else if opt(a, "storedist") && search && flags.search_store {
            req.store_dist = true;
        } else if opt(a, "frommember") && left >= 1 && search && !from_loc {
            if exists {
                (shape.lon, shape.lat) = member_position(ctx, src, &rest[i + 1])?;
            }
            from_member = true;
            i += 1;
        } else if opt(a, "fromlonlat") && left >= 2 && search && !from_member {
            (shape.lon, shape.lat) = lonlat(&rest[i + 1], &rest[i + 2])?;
            from_loc = true;
            i += 2;
        } else if opt(a, "byradius") && left >= 2 && search && !by_box {
            let (r, conversion) = radius(&rest[i + 1], &rest[i + 2])?;
            (shape.extent, shape.conversion) = (Extent::Radius(r), conversion);
            by_radius = true;
            i += 2;
        } else if opt(a, "bybox") && left >= 3 && search && !by_radius {
            let (width, height, conversion) = box_size(&rest[i + 1], &rest[i + 2], &rest[i + 3])?;
            (shape.extent, shape.conversion) = (Extent::Box { width, height }, conversion);
            by_box = true;
            i += 3;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    check_options(&req, flags, argv, search, from_member || from_loc, by_radius || by_box)?;
    if !exists {
        return Ok(match req.store {
            Some(dst) => {
                delete_destination(ctx, dst);
                Frame::Integer(0)
            }
            None => Frame::Array(Vec::new()),
        });
    }
    // COUNT without an order means the closest ones (but ANY means any ones).
    if req.count != 0 && req.sort == Sort::None && !req.any {
        req.sort = Sort::Asc;
    }
    let limit = if req.any { req.count as usize } else { 0 };
    let mut points = match source(ctx, src) {
        Some(z) => collect(z, &shape, limit),
        None => Vec::new(),
    };
    if points.is_empty() && req.store.is_none() {
        return Ok(Frame::Array(Vec::new()));
    }
    let returned = if req.count == 0 || (points.len() as i64) < req.count { points.len() } else { req.count as usize };
    sort_points(&mut points, req.sort, returned);
    points.truncate(returned);
    for p in &mut points {
        p.dist /= shape.conversion;
    }
    Ok(match req.store {
        None => reply(ctx.client.resp, points, &req),
        Some(dst) => store(ctx, dst, points, req.store_dist),
    })
}

/// The checks done once all options are read.
fn check_options(
    req: &Request,
    flags: Flags,
    argv: &[Vec<u8>],
    search: bool,
    has_from: bool,
    has_by: bool,
) -> Result<(), Frame> {
    if req.store.is_some() && (req.with_dist || req.with_hash || req.with_coord) {
        let what = if flags.search_store { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(Frame::error(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&argv[0]);
    if search && !has_from {
        return Err(Frame::error(format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if search && !has_by {
        return Err(Frame::error(format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if req.any && req.count == 0 {
        return Err(Frame::error("ERR the ANY argument requires COUNT argument"));
    }
    Ok(())
}

/// membersOfAllNeighbors: the points inside `shape` from the search cells, in scan order;
/// with a `limit` (ANY), the scan stops once that many were found.
fn collect(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = hash::search_cells(shape).cells;
    let mut points = Vec::new();
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii make neighbours repeat; a cell equal to the one scanned just before is
        // skipped (Redis compares with the last scanned cell, and never with the centre).
        if let Some(l) = last.filter(|&l| l != 0) {
            if cells[l] == *cell {
                continue;
            }
        }
        if limit != 0 && points.len() >= limit {
            break;
        }
        scan_cell(z, *cell, shape, limit, &mut points);
        last = Some(i);
    }
    points
}

/// geoGetPointsInRange over one cell's score range `[min, max)`.
fn scan_cell(z: &ZSet, cell: hash::Cell, shape: &Shape, limit: usize, points: &mut Vec<Point>) {
    let (min, max) = cell.score_range();
    let start = z.partition_point(|s, _| s < min);
    for (score, member) in z.iter_from(start) {
        if score >= max {
            break;
        }
        let (lon, lat) = hash::score_to_lonlat(score);
        if let Some(dist) = shape.contains(lon, lat) {
            points.push(Point { member: member.to_vec(), lon, lat, dist, score });
        }
        if limit != 0 && points.len() >= limit {
            break;
        }
    }
}

fn sort_points(points: &mut [Point], sort: Sort, returned: usize) {
    let asc = |a: &Point, b: &Point| {
        if a.dist > b.dist {
            Ordering::Greater
        } else if a.dist == b.dist {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    };
    let cmp = |a: &Point, b: &Point| if sort == Sort::Desc { asc(a, b).reverse() } else { asc(a, b) };
    if sort == Sort::None || returned == 0 {
        return;
    }
    if returned == points.len() {
        full_sort(points, cmp);
    } else {
        partial_sort(points, cmp, 0, returned - 1);
    }
}

fn reply(resp: u8, points: Vec<Point>, req: &Request) -> Frame {
    let extras = usize::from(req.with_dist) + usize::from(req.with_hash) + usize::from(req.with_coord);
    Frame::Array(
        points
            .into_iter()
            .map(|p| {
                if extras == 0 {
                    return Frame::Bulk(p.member);
                }
                let mut item = vec![Frame::Bulk(p.member)];
                if req.with_dist {
                    item.push(distance_reply(p.dist));
                }
                if req.with_hash {
                    item.push(Frame::Integer(p.score as i64));
                }
                if req.with_coord {
                    item.push(Frame::Array(vec![human_double(resp, p.lon), human_double(resp, p.lat)]));
                }
                Frame::Array(item)
            })
            .collect(),
    )
}

/// dbDelete of the destination when there is nothing to store.
fn delete_destination(ctx: &mut Ctx, dst: &[u8]) {
    if ctx.db().remove(dst).is_some() {
        ctx.signal_modified(dst);
        ctx.notify(crate::engine::notify::NOTIFY_GENERIC, "del", dst);
        ctx.dirty(1);
    }
}

/// Stores the points as a sorted set (scores: geohashes, or distances with STOREDIST), built
/// as a skiplist and turned into a listpack when it fits; replies with the count.
fn store(ctx: &mut Ctx, dst: &[u8], points: Vec<Point>, store_dist: bool) -> Frame {
    let n = points.len();
    if n == 0 {
        delete_destination(ctx, dst);
        return Frame::Integer(0);
    }
    let limits = Limits {
        max_entries: ctx.engine.config.zset_max_listpack_entries(),
        max_value: ctx.engine.config.zset_max_listpack_value(),
    };
    let mut z = ZSet::new_skiplist();
    for p in points {
        let score = if store_dist { p.dist } else { p.score };
        if z.score(&p.member).is_some() {
            z.set_score(&p.member, score);
        } else {
            z.insert_new(score, &p.member, limits);
        }
    }
    z.convert_to_listpack_if_fits(limits);
    ctx.exists(dst); // setKey's lookupKeyWrite: an expired destination is expired first
    let now = ctx.now_ms;
    ctx.db().set(dst.to_vec(), Value::ZSet(z), now);
    ctx.signal_modified(dst);
    // Redis names the event after GEOSEARCHSTORE, or GEORADIUSSTORE for every GEORADIUS form.
    let event = if ctx.meta.name == "geosearchstore" { "geosearchstore" } else { "georadiusstore" };
    ctx.notify(crate::engine::notify::NOTIFY_ZSET, event, dst);
    ctx.dirty(n as u64);
    Frame::Integer(n as i64)
}

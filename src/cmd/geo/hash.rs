//! Redis's geohash (geohash.c, geohash_helper.c): 26 steps of latitude and longitude bits,
//! interleaved into a 52-bit integer that is stored as the sorted set score; the 3x3 cells a
//! search looks at; the haversine distance with Redis's earth radius.
//!
//! Every float operation is written in the order Redis's C code performs it, so that results
//! agree bit for bit (the libm functions are the platform's, as Redis's are).

use std::f64::consts::PI;

/// 26 steps of each coordinate make the 52 bits of a score.
pub const STEP_MAX: u8 = 26;
/// The latitude limits of EPSG:900913 (Redis cannot index the poles).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;

/// Redis's quadratic mean earth radius (WGS-84), in meters.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// The estimate of the step for a radius doubles the radius up to this (meters).
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians (Redis's D_R, M_PI / 180.0).
const D_R: f64 = PI / 180.0;

/// A cell: `step` bits of each coordinate, interleaved (latitude in the even bits).
/// The all-zero value stands for "no cell" (Redis's GZERO), as in Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

impl Cell {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The score range `[min, max)` of the members inside this cell.
    pub fn score_range(&self) -> (f64, f64) {
        let shift = 52 - u32::from(self.step) * 2;
        ((self.bits << shift) as f64, (self.bits.wrapping_add(1) << shift) as f64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The extent of a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// The ranges Redis indexes.
pub const LON_RANGE: Range = Range { min: LONG_MIN, max: LONG_MAX };
pub const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// Spreads the 32 bits of `v` over the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `x` into a u32 (the inverse of `spread`).
fn gather(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0xFFFF_FFFF) as u32
}

/// geohashEncode: `None` when the point is outside the indexable area or `ranges`.
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Cell> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
    // C converts these doubles (within 0..=2^step) to uint32_t, truncating.
    Some(Cell { bits: spread(lat_offset as u32) | (spread(lon_offset as u32) << 1), step })
}

/// geohashDecode: the area of a cell (`None` for the zero cell).
pub fn decode(lon_range: Range, lat_range: Range, cell: Cell) -> Option<Area> {
    if cell.is_zero() {
        return None;
    }
    let lat_idx = gather(cell.bits);
    let lon_idx = gather(cell.bits >> 1);
    let cells = (1u64 << cell.step) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    // `idx + 1` is uint32 arithmetic in C: it wraps for the all-ones index.
    Some(Area {
        lat: Range {
            min: lat_range.min + (f64::from(lat_idx) / cells) * lat_scale,
            max: lat_range.min + (f64::from(lat_idx.wrapping_add(1)) / cells) * lat_scale,
        },
        lon: Range {
            min: lon_range.min + (f64::from(lon_idx) / cells) * lon_scale,
            max: lon_range.min + (f64::from(lon_idx.wrapping_add(1)) / cells) * lon_scale,
        },
    })
}

/// C's `(uint64_t)score` on x86-64 as gcc compiles it: values below 2^63 (and NaN) go through
/// a signed conversion whose out-of-range result is 2^63; values from 2^63 on are reduced by
/// 2^63 first and get the top bit flipped back. So -1 becomes all ones and +inf becomes 0.
pub fn score_to_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    fn cvttsd2si(x: f64) -> u64 {
        if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
            1 << 63
        } else {
            (x as i64) as u64
        }
    }
    if score.is_nan() || score < TWO_63 {
        cvttsd2si(score)
    } else {
        cvttsd2si(score - TWO_63) ^ (1 << 63)
    }
}

/// decodeGeohash: the (longitude, latitude) of a score, the centre of its 52-bit cell,
/// clamped to the indexable area. Any score decodes.
pub fn score_to_lonlat(score: f64) -> (f64, f64) {
    let cell = Cell { bits: score_to_bits(score), step: STEP_MAX };
    let Some(area) = decode(LON_RANGE, LAT_RANGE, cell) else {
        return (0.0, 0.0); // unreachable: a step-26 cell is never the zero cell
    };
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The score GEOADD stores for a valid point.
pub fn lonlat_to_score(lon: f64, lat: f64) -> u64 {
    encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX).map_or(0, |c| c.bits)
}

/// GEOHASH's 11-character string: the point re-encoded over the standard ranges (latitude
/// -90..90), 5 bits a character, the 11th character standing for zero bits.
pub fn geohash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = score_to_lonlat(score);
    let bits = encode(Range { min: -180.0, max: 180.0 }, Range { min: -90.0, max: 90.0 }, lon, lat, STEP_MAX)
        .map_or(0, |c| c.bits);
    let mut out = [b'0'; 11];
    for (i, ch) in out.iter_mut().enumerate().take(10) {
        *ch = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

// ----- neighbours -----

/// Moves a cell one step east (`d > 0`) or west along the longitude bits (odd bits).
fn move_x(cell: &mut Cell, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(cell.step) * 2;
    let mut x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x = (x | zz).wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    cell.bits = x | y;
}

/// Moves a cell one step north (`d > 0`) or south along the latitude bits (even bits).
fn move_y(cell: &mut Cell, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(cell.step) * 2;
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y = (y | zz).wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> shift;
    cell.bits = x | y;
}

fn moved(cell: Cell, dx: i8, dy: i8) -> Cell {
    let mut c = cell;
    move_x(&mut c, dx);
    move_y(&mut c, dy);
    c
}

/// The nine cells of a search, in the order Redis scans them: the centre, then north, south,
/// east, west, north-east, north-west, south-east, south-west. Excluded ones are zero cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchCells {
    pub cells: [Cell; 9],
}

// ----- distances -----

fn deg_rad(deg: f64) -> f64 {
    deg * D_R
}

fn rad_deg(rad: f64) -> f64 {
    rad / D_R
}

/// geohashGetLatDistance: the distance along a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// geohashGetDistance: the haversine distance in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

// ----- search shapes -----

/// What a search covers (Redis's GeoShape): a circle of `radius` or a `width` x `height` box,
/// both in the unit whose size in meters is `conversion`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    pub conversion: f64,
}

impl Shape {
    /// geoWithinShape: the distance from the centre (meters) when `(lon, lat)` is inside.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                if lat_distance(lat, self.lat) > height_m / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width_m / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// geohashBoundingBox: [min lon, min lat, max lon, max lat].
    fn bounds(&self) -> [f64; 4] {
        let (half_w, half_h) = match self.extent {
            Extent::Radius(r) => (r, r),
            Extent::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        let lon_delta = if self.lat < 0.0 { lon_delta_bottom } else { lon_delta_top };
        [self.lon - lon_delta, self.lat - lat_delta, self.lon + lon_delta, self.lat + lat_delta]
    }

    /// The radius (meters) that decides the step: the circle's, or the box's half diagonal.
    fn radius_m(&self) -> f64 {
        let r = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        };
        r * self.conversion
    }
}

/// geohashEstimateStepsByRadius.
fn estimate_step(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return STEP_MAX;
    }
    let mut range = range_m;
    let mut step: i32 = 1;
    // A positive double reaches MERCATOR_MAX in fewer than 1100 doublings.
    while range < MERCATOR_MAX && step < 2000 {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// The centre cell and its eight neighbours, in the order [N, S, E, W, NE, NW, SE, SW].
fn with_neighbours(shape: &Shape, step: u8) -> (Cell, [Cell; 8]) {
    let c = encode(LON_RANGE, LAT_RANGE, shape.lon, shape.lat, step).unwrap_or(Cell { bits: 0, step });
    let n = [
        moved(c, 0, 1),
        moved(c, 0, -1),
        moved(c, 1, 0),
        moved(c, -1, 0),
        moved(c, 1, 1),
        moved(c, -1, 1),
        moved(c, 1, -1),
        moved(c, -1, -1),
    ];
    (c, n)
}

/// geohashCalculateAreasByShapeWGS84: the cells to scan for `shape`.
pub fn search_cells(shape: &Shape) -> SearchCells {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let mut step = estimate_step(shape.radius_m(), shape.lat);
    let (mut centre, mut n) = with_neighbours(shape, step);
    // A neighbour that does not reach the bounding box means the cells are too small.
    let area = |c: Cell| decode(LON_RANGE, LAT_RANGE, c);
    let too_small = area(n[0]).is_some_and(|a| a.lat.max < max_lat)
        || area(n[1]).is_some_and(|a| a.lat.min > min_lat)
        || area(n[2]).is_some_and(|a| a.lon.max < max_lon)
        || area(n[3]).is_some_and(|a| a.lon.min > min_lon);
    if step > 1 && too_small {
        step -= 1;
        (centre, n) = with_neighbours(shape, step);
    }
    if step >= 2 {
        if let Some(a) = area(centre) {
            let zero = Cell::default();
            if a.lat.min < min_lat {
                for i in [1, 6, 7] {
                    n[i] = zero; // south, south-east, south-west
                }
            }
            if a.lat.max > max_lat {
                for i in [0, 4, 5] {
                    n[i] = zero; // north, north-east, north-west
                }
            }
            if a.lon.min < min_lon {
                for i in [3, 7, 5] {
                    n[i] = zero; // west, south-west, north-west
                }
            }
            if a.lon.max > max_lon {
                for i in [2, 6, 4] {
                    n[i] = zero; // east, south-east, north-east
                }
            }
        }
    }
    SearchCells { cells: [centre, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_gather_are_inverse() {
        for v in [0u32, 1, 0xdead_beef, u32::MAX, 1 << 25] {
            assert_eq!(gather(spread(v)), v);
        }
    }

    #[test]
    fn palermo_encodes_as_redis_does() {
        assert_eq!(lonlat_to_score(13.361389, 38.115556), 3479099956230698);
        assert_eq!(&geohash_string(3479099956230698.0), b"sqc8b49rny0");
    }

    #[test]
    fn odd_scores_decode_as_x86_converts_them() {
        assert_eq!(score_to_bits(-1.0), u64::MAX);
        assert_eq!(score_to_bits(f64::INFINITY), 0);
        assert_eq!(score_to_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_to_bits(1e19), 10_000_000_000_000_000_000);
        assert_eq!(score_to_bits(18446744073709551615.0), 0);
    }
}

//! quickcheck properties for the codecs and small pure pieces, several of them differential
//! against the independent implementations in `specs/`:
//! RESP encode/decode round trips, request framing, the glob matcher against the model's naive
//! matcher, double formatting, and INCRBYFLOAT's long-double arithmetic against the model's.
// rules: PROTO-1

use quickcheck::{quickcheck, Arbitrary, Gen, QuickCheck, TestResult};
use verdis::resp::{decode, encode, format_double, Frame, ParseLimits, RequestParser};

/// A reply value for the round-trip properties (a wrapper so quickcheck can generate it).
#[derive(Clone, Debug)]
struct AnyFrame(Frame);

fn gen_frame(g: &mut Gen, depth: usize) -> Frame {
    let choices = if depth == 0 { 8 } else { 13 };
    let text = |g: &mut Gen| -> String {
        let s: String = String::arbitrary(g);
        s.replace(['\r', '\n'], "")
    };
    match u8::arbitrary(g) % choices {
        0 => Frame::Simple(text(g)),
        1 => Frame::Error(format!("ERR {}", text(g))),
        2 => Frame::Integer(i64::arbitrary(g)),
        3 => Frame::Bulk(Vec::<u8>::arbitrary(g)),
        4 => Frame::Null,
        5 => Frame::Boolean(bool::arbitrary(g)),
        6 => {
            let d = f64::arbitrary(g);
            Frame::Double(if d.is_nan() { 0.5 } else { d })
        }
        7 => Frame::BigNumber(format!("{}{}", if bool::arbitrary(g) { "-" } else { "" }, u64::arbitrary(g))),
        8 => Frame::Verbatim("txt", Vec::<u8>::arbitrary(g)),
        9 => Frame::Array((0..u8::arbitrary(g) % 4).map(|_| gen_frame(g, depth - 1)).collect()),
        10 => Frame::Set((0..u8::arbitrary(g) % 4).map(|_| gen_frame(g, depth - 1)).collect()),
        11 => Frame::Push((0..u8::arbitrary(g) % 4).map(|_| gen_frame(g, depth - 1)).collect()),
        _ => {
            Frame::Map((0..u8::arbitrary(g) % 3).map(|_| (gen_frame(g, depth - 1), gen_frame(g, depth - 1))).collect())
        }
    }
}

impl Arbitrary for AnyFrame {
    fn arbitrary(g: &mut Gen) -> Self {
        AnyFrame(gen_frame(g, 3))
    }
}

/// Doubles print as %.17g, which round-trips through parsing, so the decoder gives them back.
fn same(a: &Frame, b: &Frame) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[test]
fn resp3_encode_decode_round_trip() {
    fn prop(f: AnyFrame) -> bool {
        let mut bytes = Vec::new();
        encode(&f.0, 3, &mut bytes);
        match decode(&bytes) {
            Ok(Some((back, used))) => used == bytes.len() && same(&back, &f.0),
            _ => false,
        }
    }
    QuickCheck::new().tests(2000).quickcheck(prop as fn(AnyFrame) -> bool);
}

#[test]
fn resp2_encoding_decodes_to_one_complete_reply() {
    fn prop(f: AnyFrame) -> bool {
        let mut bytes = Vec::new();
        encode(&f.0, 2, &mut bytes);
        matches!(decode(&bytes), Ok(Some((_, used))) if used == bytes.len())
    }
    QuickCheck::new().tests(2000).quickcheck(prop as fn(AnyFrame) -> bool);
}

#[test]
fn a_decoded_prefix_needs_more_bytes_never_errors() {
    fn prop(f: AnyFrame, cut: usize) -> bool {
        let mut bytes = Vec::new();
        encode(&f.0, 3, &mut bytes);
        let cut = cut % bytes.len().max(1);
        matches!(decode(&bytes[..cut]), Ok(None))
    }
    QuickCheck::new().tests(2000).quickcheck(prop as fn(AnyFrame, usize) -> bool);
}

#[test]
fn multibulk_requests_round_trip_in_any_pieces() {
    fn prop(argv: Vec<Vec<u8>>, split: usize) -> TestResult {
        if argv.is_empty() {
            return TestResult::discard();
        }
        let mut bytes = format!("*{}\r\n", argv.len()).into_bytes();
        for a in &argv {
            bytes.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            bytes.extend_from_slice(a);
            bytes.extend_from_slice(b"\r\n");
        }
        let split = split % bytes.len();
        let mut parser = RequestParser::new();
        let limits = ParseLimits::default();
        let (used, first) = parser.parse(&bytes[..split], limits).expect("prefix parses");
        let (used2, second) = parser.parse(&bytes[used..], limits).expect("rest parses");
        TestResult::from_bool(used + used2 == bytes.len() && first.or(second).as_ref() == Some(&argv))
    }
    QuickCheck::new().tests(2000).quickcheck(prop as fn(Vec<Vec<u8>>, usize) -> TestResult);
}

/// Patterns and subjects over a small alphabet with glob metacharacters, so they interact.
#[derive(Clone, Debug)]
struct GlobCase(Vec<u8>, Vec<u8>);

impl Arbitrary for GlobCase {
    fn arbitrary(g: &mut Gen) -> Self {
        let pat_chars = b"ab*?[]^-\\c";
        let sub_chars = b"abc-]^\\";
        let pat = (0..u8::arbitrary(g) % 10).map(|_| *g.choose(pat_chars).unwrap_or(&b'a')).collect();
        let sub = (0..u8::arbitrary(g) % 8).map(|_| *g.choose(sub_chars).unwrap_or(&b'a')).collect();
        GlobCase(pat, sub)
    }
}

#[test]
fn glob_matches_the_models_naive_matcher() {
    fn prop(c: GlobCase) -> bool {
        verdis::engine::glob::string_match(&c.0, &c.1, false) == verdis_spec::glob::matches(&c.0, &c.1)
    }
    QuickCheck::new().tests(20_000).quickcheck(prop as fn(GlobCase) -> bool);
}

#[test]
fn doubles_format_as_17_significant_digits_and_round_trip() {
    fn prop(d: f64) -> TestResult {
        if d.is_nan() {
            return TestResult::discard();
        }
        let text = format_double(d);
        let back: f64 = match text.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            t => t.parse().expect("formatted double parses"),
        };
        // %.17g never prints more than 17 significant digits.
        let digits = text.trim_start_matches('-').split('e').next().unwrap_or("").replace('.', "");
        let significant = digits.trim_start_matches('0').len();
        TestResult::from_bool(back == d && significant <= 17)
    }
    quickcheck(prop as fn(f64) -> TestResult);
}

/// Decimal-ish numbers like the ones clients send to INCRBYFLOAT.
#[derive(Clone, Debug)]
struct Decimal(String);

impl Arbitrary for Decimal {
    fn arbitrary(g: &mut Gen) -> Self {
        let int = i64::arbitrary(g) % 1_000_000_000;
        let frac = u32::arbitrary(g) % 100_000;
        let text = match u8::arbitrary(g) % 4 {
            0 => format!("{int}"),
            1 => format!("{int}.{frac}"),
            2 => format!("{int}.{frac}e{}", i8::arbitrary(g) % 20),
            _ => format!("0.{frac:05}"),
        };
        Decimal(text)
    }
}

#[test]
fn incrbyfloat_arithmetic_matches_the_model() {
    fn prop(a: Decimal, b: Decimal) -> bool {
        let engine = verdis::engine::longdouble::parse(a.0.as_bytes())
            .zip(verdis::engine::longdouble::parse(b.0.as_bytes()))
            .map(|(x, y)| x.plus(y))
            .filter(|r| !r.is_nan() && !r.is_inf())
            .map(|r| r.to_human());
        let model = verdis_spec::ld::parse(a.0.as_bytes())
            .zip(verdis_spec::ld::parse(b.0.as_bytes()))
            .and_then(|(x, y)| verdis_spec::ld::add(x, y))
            .map(verdis_spec::ld::format_human);
        engine == model
    }
    QuickCheck::new().tests(5000).quickcheck(prop as fn(Decimal, Decimal) -> bool);
}

//! Tests of the long double model. The tables come from the real Redis 7.0.15 (INCRBYFLOAT on
//! x86-64): each row is the stored value, the increment, and the reply.

use super::*;

/// What INCRBYFLOAT replies for a stored value `a` and an increment `b`.
fn incrbyfloat(a: &str, b: &str) -> String {
    let (Some(x), Some(y)) = (parse(a.as_bytes()), parse(b.as_bytes())) else {
        return "ERR value is not a valid float".to_string();
    };
    let z = x.plus(y);
    if z.is_nan() || z.is_inf() {
        return "ERR increment would produce NaN or Infinity".to_string();
    }
    z.to_human()
}

fn check_table(table: &str) {
    let mut failures = Vec::new();
    for line in table.lines().filter(|l| !l.is_empty()) {
        let mut cols = line.split('\t');
        let (a, b, want) = (cols.next().unwrap(), cols.next().unwrap(), cols.next().unwrap());
        let got = incrbyfloat(a, b);
        if got != want {
            failures.push(format!("{a} + {b}: got {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
}

#[test]
fn basics() {
    assert_eq!(incrbyfloat("10.5", "0.1"), "10.6");
    assert_eq!(incrbyfloat("0.000003814697265625", "0"), "0.00000381469726562");
    assert_eq!(incrbyfloat("1e-5000", "1"), "ERR value is not a valid float");
    assert_eq!(incrbyfloat("inf", "1"), "ERR increment would produce NaN or Infinity");
    assert_eq!(incrbyfloat("0x10", "1"), "17");
    assert_eq!(LongDouble::from_i64(i64::MIN).to_human(), "-9223372036854775808");
    assert_eq!(LongDouble::from_i64(0).to_human(), "0");
}

/// 469 random pairs (decimal, hexadecimal, huge, tiny, exact binary ties, malformed) as the
/// real Redis 7.0.15 answered them.
#[test]
fn oracle_table() {
    check_table(include_str!("oracle_cases.tsv"));
}

/// Cases checked against a native x87 `long double` (set VERDIS_LD_CASES to a file of
/// `a<TAB>b<TAB>expected` lines).
#[test]
#[ignore]
fn cases_from_file() {
    let path = std::env::var("VERDIS_LD_CASES").expect("VERDIS_LD_CASES");
    check_table(&std::fs::read_to_string(path).expect("readable case file"));
}

//! Expire commands (Redis: expire.c).

use super::dispatch::{one_line, Call};
use super::notify::GENERIC;
use super::Model;
use crate::num::{c_str, int_arg};
use crate::reply::Reply;

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_conditions(call: &Call) -> Result<Conditions, Reply> {
    let mut c = Conditions::default();
    for opt in &call.argv[3..] {
        let name = c_str(opt);
        if name.eq_ignore_ascii_case(b"NX") {
            c.nx = true;
        } else if name.eq_ignore_ascii_case(b"XX") {
            c.xx = true;
        } else if name.eq_ignore_ascii_case(b"GT") {
            c.gt = true;
        } else if name.eq_ignore_ascii_case(b"LT") {
            c.lt = true;
        } else {
            return Err(unsupported_option(name));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(Reply::err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if c.gt && c.lt {
        return Err(Reply::err("GT and LT options at the same time are not compatible"));
    }
    Ok(c)
}

/// `ERR Unsupported option <opt>`; line breaks at the end of the text are
/// dropped, others become spaces.
fn unsupported_option(name: &[u8]) -> Reply {
    let mut text = b"ERR Unsupported option ".to_vec();
    text.extend_from_slice(name);
    while matches!(text.last(), Some(b'\r' | b'\n')) {
        text.pop();
    }
    Reply::Error(one_line(&text))
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. `relative`: the argument is added
/// to the current time; `seconds`: the argument is in seconds.
fn expire_generic(m: &mut Model, call: &Call, relative: bool, seconds: bool) -> Reply {
    let cond = match parse_conditions(call) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut when = match int_arg(call.arg(2)) {
        Ok(n) => i128::from(n),
        Err(e) => return e,
    };
    if seconds {
        if when > i128::from(i64::MAX / 1000) || when < i128::from(i64::MIN / 1000) {
            return call.invalid_expire();
        }
        when *= 1000;
    }
    let base = if relative { i128::from(call.now_ms) } else { 0 };
    if when > i128::from(i64::MAX) - base {
        return call.invalid_expire();
    }
    when += base;

    let key = call.arg(1);
    if !m.exists(call.db, key, call.now_ms) {
        return Reply::Int(0);
    }
    let current = m.expire_of(call.db, key, call.now_ms).map(i128::from);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        || (cond.gt && current.is_none_or(|cur| when <= cur))
        || (cond.lt && current.is_some_and(|cur| when >= cur));
    if refused {
        return Reply::Int(0);
    }
    if when <= i128::from(call.now_ms) {
        // A time that is not in the future deletes the key at once.
        m.delete(call.db, key, call.now_ms);
        m.notify_call(call, GENERIC, "del", key);
    } else {
        m.set_expire(call.db, key, Some(when as u64));
        m.notify_call(call, GENERIC, "expire", key);
    }
    Reply::Int(1)
}

pub(super) fn expire(m: &mut Model, call: &Call) -> Reply {
    expire_generic(m, call, true, true)
}

pub(super) fn pexpire(m: &mut Model, call: &Call) -> Reply {
    expire_generic(m, call, true, false)
}

pub(super) fn expireat(m: &mut Model, call: &Call) -> Reply {
    expire_generic(m, call, false, true)
}

pub(super) fn pexpireat(m: &mut Model, call: &Call) -> Reply {
    expire_generic(m, call, false, false)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for a key
/// without TTL; seconds are rounded to the nearest (half up).
fn ttl_generic(m: &mut Model, call: &Call, millis: bool, absolute: bool) -> Reply {
    let key = call.arg(1);
    if !m.exists(call.db, key, call.now_ms) {
        return Reply::Int(-2);
    }
    let Some(at) = m.expire_of(call.db, key, call.now_ms) else {
        return Reply::Int(-1);
    };
    let value = if absolute { at as i64 } else { (at as i64 - call.now_ms as i64).max(0) };
    Reply::Int(if millis { value } else { (value + 500) / 1000 })
}

pub(super) fn ttl(m: &mut Model, call: &Call) -> Reply {
    ttl_generic(m, call, false, false)
}

pub(super) fn pttl(m: &mut Model, call: &Call) -> Reply {
    ttl_generic(m, call, true, false)
}

pub(super) fn expiretime(m: &mut Model, call: &Call) -> Reply {
    ttl_generic(m, call, false, true)
}

pub(super) fn pexpiretime(m: &mut Model, call: &Call) -> Reply {
    ttl_generic(m, call, true, true)
}

pub(super) fn persist(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    if m.expire_of(call.db, key, call.now_ms).is_some() {
        m.set_expire(call.db, key, None);
        m.notify_call(call, GENERIC, "persist", key);
        Reply::Int(1)
    } else {
        Reply::Int(0)
    }
}

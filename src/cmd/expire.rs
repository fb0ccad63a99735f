//! The expire commands (Redis's expire.c): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME, PERSIST. (TOUCH, also in expire.c, is with the keyspace commands.)

use crate::cmd::args::int_arg;
use crate::cmd::keyspace::lookup_read_no_touch;
use crate::engine::notify::NOTIFY_GENERIC;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "expire" => expire,
        "pexpire" => pexpire,
        "expireat" => expireat,
        "pexpireat" => pexpireat,
        "ttl" => ttl,
        "pttl" => pttl,
        "expiretime" => expiretime,
        "pexpiretime" => pexpiretime,
        "persist" => persist,
        _ => return None,
    };
    Some(h)
}

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Clone, Copy, Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    /// Parses the options after the time argument, with Redis's texts for unknown options and
    /// for incompatible combinations.
    fn parse(options: &[Vec<u8>]) -> Result<Conditions, Frame> {
        let mut c = Conditions::default();
        for opt in options {
            let flag = match opt.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => {
                    return Err(Frame::error(format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))));
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(Frame::error("ERR NX and XX, GT or LT options at the same time are not compatible"));
        }
        if c.gt && c.lt {
            return Err(Frame::error("ERR GT and LT options at the same time are not compatible"));
        }
        Ok(c)
    }

    fn any(self) -> bool {
        self.nx || self.xx || self.gt || self.lt
    }

    /// Whether the new expiry `when_ms` may replace the current one (`None`: no expiry, which
    /// GT and LT treat as an infinite TTL).
    fn allow(self, current_ms: Option<i64>, when_ms: i64) -> bool {
        if self.nx && current_ms.is_some() {
            return false;
        }
        if self.xx && current_ms.is_none() {
            return false;
        }
        if self.gt && current_ms.is_none_or(|cur| when_ms <= cur) {
            return false;
        }
        if self.lt && current_ms.is_some_and(|cur| when_ms >= cur) {
            return false;
        }
        true
    }
}

fn expire(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms as i64;
    expire_generic(ctx, now, 1000)
}

fn pexpire(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms as i64;
    expire_generic(ctx, now, 1)
}

fn expireat(ctx: &mut Ctx) -> Frame {
    expire_generic(ctx, 0, 1000)
}

fn pexpireat(ctx: &mut Ctx) -> Frame {
    expire_generic(ctx, 0, 1)
}

/// The EXPIRE family: `basetime_ms` is now for relative forms and 0 for the *AT forms; `unit_ms`
/// is 1000 when the argument is in seconds. A time not after now deletes the key.
fn expire_generic(ctx: &mut Ctx, basetime_ms: i64, unit_ms: i64) -> Frame {
    let conditions = match Conditions::parse(&ctx.argv[3..]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let when = match int_arg(ctx.arg(2)) {
        Ok(n) => n,
        Err(e) => return e,
    };
    // Detect overflow of the unit conversion and of adding the base time, as Redis does.
    let Some(when_ms) = when.checked_mul(unit_ms).and_then(|ms| ms.checked_add(basetime_ms)) else {
        return Frame::error(errors::invalid_expire(ctx.meta.name));
    };
    let key = ctx.arg(1);
    if ctx.lookup_write(key).is_none() {
        return Frame::Integer(0);
    }
    if conditions.any() {
        let current = ctx.db().expire_of(key).map(|t| t as i64);
        if !conditions.allow(current, when_ms) {
            return Frame::Integer(0);
        }
    }
    if ctx.engine.already_expired(when_ms, ctx.now_ms) {
        // Already in the past: the key goes now (Redis propagates this as a DEL), freed as an
        // expired key (LAZY-7).
        let lazy = ctx.engine.config.lazyfree_lazy_expire();
        ctx.delete_key(key, lazy);
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
        crate::cmd::strings::basic::propagate_deletion_as(ctx, key, lazy);
    } else {
        ctx.db().set_expire(key, when_ms as u64);
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_GENERIC, "expire", key);
        // Propagated as PEXPIREAT with the absolute time, keeping the NX/XX/GT/LT options.
        if ctx.propagating() && (ctx.meta.name != "pexpireat") {
            let mut argv = ctx.argv.to_vec();
            argv[0] = b"PEXPIREAT".to_vec();
            argv[2] = crate::engine::propagate::num_arg(when_ms);
            ctx.propagate_as(argv);
        }
    }
    ctx.dirty(1);
    Frame::Integer(1)
}

fn ttl(ctx: &mut Ctx) -> Frame {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx) -> Frame {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx) -> Frame {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx) -> Frame {
    ttl_generic(ctx, true, true)
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 for a key without expiry,
/// otherwise the remaining (or absolute) time, never negative; seconds are rounded to nearest.
fn ttl_generic(ctx: &mut Ctx, millis: bool, absolute: bool) -> Frame {
    let now = ctx.now_ms as i64;
    let Some(entry) = lookup_read_no_touch(ctx, ctx.arg(1)) else {
        return Frame::Integer(-2);
    };
    let Some(at_ms) = entry.expire_at_ms() else {
        return Frame::Integer(-1);
    };
    let at_ms = at_ms as i64;
    let ms = (if absolute { at_ms } else { at_ms - now }).max(0);
    Frame::Integer(if millis { ms } else { (ms + 500) / 1000 })
}

fn persist(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    if ctx.lookup_write(key).is_none() || !ctx.db().persist(key) {
        return Frame::Integer(0);
    }
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_GENERIC, "persist", key);
    ctx.dirty(1);
    Frame::Integer(1)
}

#[cfg(test)]
#[path = "expire_tests.rs"]
mod tests;

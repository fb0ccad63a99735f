//! GET, SET and their variants (SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX), MGET, MSET, MSETNX.

use super::{as_string, opt_is, read_bytes, reply, store};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::engine::propagate::num_arg;
use crate::engine::value::StrValue;
use crate::engine::Ctx;
use crate::resp::Frame;

/// Which expiry option was given, and so how its argument is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireKind {
    /// Seconds from now.
    Ex,
    /// Milliseconds from now.
    Px,
    /// Unix time in seconds.
    ExAt,
    /// Unix time in milliseconds.
    PxAt,
}

impl ExpireKind {
    fn in_seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }

    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

/// The options of SET (NX, XX, GET, KEEPTTL and an expiry) or GETEX (PERSIST and an expiry).
#[derive(Default)]
struct StringOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

impl StringOpts<'_> {
    /// True when no expiry option other than `kind` was given (repeating one is allowed).
    fn expire_compatible(&self, kind: ExpireKind) -> bool {
        self.expire.is_none_or(|(k, _)| k == kind)
    }
}

/// Parses SET's options (`for_set`) or GETEX's, with Redis's rules for which options may be
/// combined: any clash, unknown word or missing expiry value is a syntax error. Expiry values
/// are only read later.
fn parse_opts<'a>(args: &'a [Vec<u8>], for_set: bool) -> Result<StringOpts<'a>, Frame> {
    let mut o = StringOpts::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_slice();
        let next = args.get(i + 1).map(|v| v.as_slice());
        let kind = match () {
            _ if opt_is(arg, "EX") => Some(ExpireKind::Ex),
            _ if opt_is(arg, "PX") => Some(ExpireKind::Px),
            _ if opt_is(arg, "EXAT") => Some(ExpireKind::ExAt),
            _ if opt_is(arg, "PXAT") => Some(ExpireKind::PxAt),
            _ => None,
        };
        if for_set && opt_is(arg, "NX") && !o.xx {
            o.nx = true;
        } else if for_set && opt_is(arg, "XX") && !o.nx {
            o.xx = true;
        } else if for_set && opt_is(arg, "GET") {
            o.get = true;
        } else if for_set && opt_is(arg, "KEEPTTL") && !o.persist && o.expire.is_none() {
            o.keep_ttl = true;
        } else if !for_set && opt_is(arg, "PERSIST") && o.expire.is_none() && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(kind), Some(value)) = (kind, next) {
            if o.keep_ttl || o.persist || !o.expire_compatible(kind) {
                return Err(Frame::error(errors::SYNTAX));
            }
            o.expire = Some((kind, value));
            i += 1;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    Ok(o)
}

/// The absolute expiry time in Unix ms for an expiry option's value, with Redis's checks: the
/// value must be a positive integer and the result must not overflow.
fn expire_at_ms(ctx: &Ctx, kind: ExpireKind, arg: &[u8]) -> Result<u64, Frame> {
    let value = int_arg(arg)?;
    let invalid = || Frame::error(errors::invalid_expire(ctx.meta.name));
    let mut ms = if kind.in_seconds() {
        value.checked_mul(1000).filter(|_| value > 0).ok_or_else(invalid)?
    } else if value > 0 {
        value
    } else {
        return Err(invalid());
    };
    if kind.relative() {
        ms = ms.checked_add(ctx.now_ms as i64).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms as u64)
}

/// The part shared by SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand). `ok` and
/// `aborted` are the replies when the value is stored and when NX/XX prevents it.
fn set_generic(ctx: &mut Ctx, opts: &StringOpts, value: &[u8], ok: Frame, aborted: Frame) -> Frame {
    let key = ctx.arg(1);
    let expire_at = match opts.expire {
        Some((kind, arg)) => match expire_at_ms(ctx, kind, arg) {
            Ok(ms) => Some(ms),
            Err(e) => return e,
        },
        None => None,
    };
    // SET ... GET replies with the old value (or nil), read as GET reads it.
    let old = if opts.get {
        match read_bytes(ctx, key) {
            Ok(old) => Some(old.map_or(Frame::Null, Frame::Bulk)),
            Err(e) => return e,
        }
    } else {
        None
    };
    let found = ctx.exists(key);
    if (opts.nx && found) || (opts.xx && !found) {
        return old.unwrap_or(aborted);
    }
    if opts.get {
        // Redis writes the GET reply before storing.
        ctx.reply_here();
    }
    store(ctx, key, StrValue::from_bytes(value.to_vec()), opts.keep_ttl);
    ctx.dirty(1);
    ctx.notify(NOTIFY_STRING, "set", key);
    if let Some(at_ms) = expire_at {
        // An expiry already in the past is stored as it is: the key expires on next access.
        ctx.db().set_expire(key, at_ms);
        ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
    propagate_set(ctx, value, expire_at, opts.get);
    old.unwrap_or(ok)
}

/// How a SET propagates (Redis 7.0's setGenericCommand): with an expiry as `SET key value PXAT
/// ms`, else without its GET arguments, else as typed.
fn propagate_set(ctx: &mut Ctx, value: &[u8], expire_at: Option<u64>, get: bool) {
    if !ctx.propagating() {
        return;
    }
    if let Some(at_ms) = expire_at {
        let argv = vec![b"SET".to_vec(), ctx.arg(1).to_vec(), value.to_vec(), b"PXAT".to_vec(), num_arg(at_ms as i64)];
        ctx.propagate_as(argv);
    } else if get {
        let argv =
            ctx.argv.iter().enumerate().filter(|(i, a)| *i < 3 || !opt_is(a, "GET")).map(|(_, a)| a.clone()).collect();
        ctx.propagate_as(argv);
    }
}

/// GET key
pub fn get(ctx: &mut Ctx) -> Frame {
    reply(read_bytes(ctx, ctx.arg(1)).map(|v| v.map_or(Frame::Null, Frame::Bulk)))
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
pub fn set(ctx: &mut Ctx) -> Frame {
    let opts = match parse_opts(&ctx.argv[3..], true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    set_generic(ctx, &opts, ctx.arg(2), Frame::ok(), Frame::Null)
}

/// SETNX key value: 1 when set, 0 when the key exists.
pub fn setnx(ctx: &mut Ctx) -> Frame {
    let opts = StringOpts { nx: true, ..Default::default() };
    set_generic(ctx, &opts, ctx.arg(2), Frame::Integer(1), Frame::Integer(0))
}

/// SETEX key seconds value
pub fn setex(ctx: &mut Ctx) -> Frame {
    let opts = StringOpts { expire: Some((ExpireKind::Ex, ctx.arg(2))), ..Default::default() };
    set_generic(ctx, &opts, ctx.arg(3), Frame::ok(), Frame::Null)
}

/// PSETEX key milliseconds value
pub fn psetex(ctx: &mut Ctx) -> Frame {
    let opts = StringOpts { expire: Some((ExpireKind::Px, ctx.arg(2))), ..Default::default() };
    set_generic(ctx, &opts, ctx.arg(3), Frame::ok(), Frame::Null)
}

/// GETSET key value: sets the value (dropping any expiry), replies with the old one.
pub fn getset(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    let old = match read_bytes(ctx, key) {
        Ok(old) => old,
        Err(e) => return e,
    };
    ctx.reply_here();
    store(ctx, key, StrValue::from_bytes(ctx.arg(2).to_vec()), false);
    ctx.notify(NOTIFY_STRING, "set", key);
    ctx.dirty(1);
    if ctx.propagating() {
        ctx.propagate_as(vec![b"SET".to_vec(), key.to_vec(), ctx.arg(2).to_vec()]);
    }
    old.map_or(Frame::Null, Frame::Bulk)
}

/// GETDEL key: replies with the value and deletes the key.
pub fn getdel(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    let old = match read_bytes(ctx, key) {
        Ok(Some(old)) => old,
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    // GETDEL frees as DEL does (LAZY-3).
    let lazy = ctx.engine.config.lazyfree_lazy_user_del();
    ctx.reply_here();
    if ctx.delete_key(key, lazy) {
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
        ctx.dirty(1);
        propagate_deletion_as(ctx, key, lazy);
    }
    Frame::Bulk(old)
}

/// The command propagates as `DEL key`, or `UNLINK key` when the deletion was lazy.
pub fn propagate_deletion_as(ctx: &mut Ctx, key: &[u8], lazy: bool) {
    if ctx.propagating() {
        let name: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.propagate_as(vec![name.to_vec(), key.to_vec()]);
    }
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]: GET that also changes the expiry.
pub fn getex(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    let opts = match parse_opts(&ctx.argv[2..], false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // The expiry value is checked only when the key exists and holds a string.
    let value = match read_bytes(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    let expire_at = match opts.expire {
        Some((kind, arg)) => match expire_at_ms(ctx, kind, arg) {
            Ok(ms) => Some((kind, ms)),
            Err(e) => return e,
        },
        None => None,
    };
    ctx.reply_here();
    match expire_at {
        // An absolute time already past deletes the key at once.
        Some((kind, at_ms)) if !kind.relative() && ctx.engine.already_expired(at_ms as i64, ctx.now_ms) => {
            // Freed as an expired key (LAZY-7).
            let lazy = ctx.engine.config.lazyfree_lazy_expire();
            ctx.delete_key(key, lazy);
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
            ctx.dirty(1);
            propagate_deletion_as(ctx, key, lazy);
        }
        Some((_, at_ms)) => {
            ctx.db().set_expire(key, at_ms);
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "expire", key);
            ctx.dirty(1);
            if ctx.propagating() {
                ctx.propagate_as(vec![b"PEXPIREAT".to_vec(), key.to_vec(), num_arg(at_ms as i64)]);
            }
        }
        None if opts.persist && ctx.db().persist(key) => {
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "persist", key);
            ctx.dirty(1);
            if ctx.propagating() {
                ctx.propagate_as(vec![b"PERSIST".to_vec(), key.to_vec()]);
            }
        }
        None => {}
    }
    Frame::Bulk(value)
}

/// MGET key [key ...]: nil for missing keys and for keys of other types.
pub fn mget(ctx: &mut Ctx) -> Frame {
    let mut out = Vec::with_capacity(ctx.argc() - 1);
    for i in 1..ctx.argc() {
        let item = match ctx.lookup_read(ctx.arg(i)) {
            Some(v) => match as_string(v) {
                Ok(s) => Frame::Bulk(s.as_bytes().into_owned()),
                Err(_) => Frame::Null,
            },
            None => Frame::Null,
        };
        out.push(item);
    }
    Frame::Array(out)
}

/// The part shared by MSET and MSETNX.
fn mset_generic(ctx: &mut Ctx, nx: bool) -> Frame {
    if ctx.argc().is_multiple_of(2) {
        return Frame::error(errors::wrong_arity(ctx.meta.name));
    }
    if nx {
        for i in (1..ctx.argc()).step_by(2) {
            if ctx.exists(ctx.arg(i)) {
                return Frame::Integer(0);
            }
        }
    }
    for i in (1..ctx.argc()).step_by(2) {
        store(ctx, ctx.arg(i), StrValue::from_bytes(ctx.arg(i + 1).to_vec()), false);
        ctx.notify(NOTIFY_STRING, "set", ctx.arg(i));
    }
    ctx.dirty(((ctx.argc() - 1) / 2) as u64);
    if nx {
        Frame::Integer(1)
    } else {
        Frame::ok()
    }
}

/// MSET key value [key value ...]
pub fn mset(ctx: &mut Ctx) -> Frame {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]: sets all or, if any key exists, none.
pub fn msetnx(ctx: &mut Ctx) -> Frame {
    mset_generic(ctx, true)
}

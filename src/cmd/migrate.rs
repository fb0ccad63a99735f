//! MIGRATE: moves keys to another server, as Redis's migrateCommand (cluster.c) does in
//! standalone mode: DUMP each key, send RESTORE commands over a kept connection, and on the
//! target's OK delete the local key (unless COPY), propagating the deletions as one DEL.
//! The connection comes from the engine's `Dialer`; the engine itself does no I/O.

use crate::cmd::args::{err, int_arg, is};
use crate::engine::dial::{CachedLink, CACHE_ITEMS};
use crate::engine::notify::NOTIFY_GENERIC;
use crate::engine::{errors, Ctx, Handler};
use crate::persist::aof::writer::encode_command as command;
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    match full_name {
        "migrate" => Some(migrate),
        _ => None,
    }
}

/// The parsed command.
struct Request {
    host: String,
    port: u16,
    db: i64,
    timeout_ms: u64,
    copy: bool,
    replace: bool,
    /// AUTH password, or AUTH2 username password.
    auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
    keys: Vec<Vec<u8>>,
}

fn parse(ctx: &Ctx) -> Result<Request, Frame> {
    let argv = ctx.argv;
    let (mut copy, mut replace, mut auth) = (false, false, None);
    let mut keys = vec![argv[3].clone()];
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let a = &argv[j];
        if is(a, "COPY") {
            copy = true;
        } else if is(a, "REPLACE") {
            replace = true;
        } else if is(a, "AUTH") {
            if more < 1 {
                return Err(err(errors::SYNTAX));
            }
            auth = Some((None, argv[j + 1].clone()));
            j += 1;
        } else if is(a, "AUTH2") {
            if more < 2 {
                return Err(err(errors::SYNTAX));
            }
            auth = Some((Some(argv[j + 1].clone()), argv[j + 2].clone()));
            j += 2;
        } else if is(a, "KEYS") {
            if !argv[3].is_empty() {
                return Err(err(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            keys = argv[j + 1..].to_vec();
            break;
        } else {
            return Err(err(errors::SYNTAX));
        }
        j += 1;
    }
    let timeout = int_arg(&argv[5])?;
    let db = int_arg(&argv[4])?;
    let timeout_ms = if timeout <= 0 { 1000 } else { timeout as u64 };
    let host = String::from_utf8_lossy(&argv[1]).into_owned();
    // Redis reads the port with atoi: junk reads as 0, and the connect fails.
    let port = String::from_utf8_lossy(&argv[2]).trim().parse::<u16>().unwrap_or(0);
    Ok(Request { host, port, db, timeout_ms, copy, replace, auth, keys })
}

fn io_error(writing: bool) -> Frame {
    Frame::error(format!("IOERR error or timeout {} to target instance", if writing { "writing" } else { "reading" }))
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key...]
fn migrate(ctx: &mut Ctx) -> Frame {
    let req = match parse(ctx) {
        Ok(r) => r,
        Err(e) => return e,
    };
    // Keys that exist now; all missing is not an error (they may have just expired).
    let present: Vec<Vec<u8>> = req.keys.iter().filter(|k| ctx.lookup_read(k).is_some()).cloned().collect();
    if present.is_empty() {
        return Frame::simple("NOKEY");
    }
    let name = format!("{}:{}", req.host, String::from_utf8_lossy(ctx.arg(2)));
    // A connection that fails is not kept (`attempt` took it out of the cache), and the
    // transfer is tried once more on a new one, unless the failure was a timeout (Redis's
    // may_retry).
    let mut retried = false;
    loop {
        match attempt(ctx, &req, &name, &present) {
            Attempt::Done(reply) => return reply,
            Attempt::SocketError { writing, timed_out } => {
                if retried || timed_out {
                    return io_error(writing);
                }
                retried = true;
            }
        }
    }
}

enum Attempt {
    Done(Frame),
    SocketError { writing: bool, timed_out: bool },
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
}

fn attempt(ctx: &mut Ctx, req: &Request, name: &str, present: &[Vec<u8>]) -> Attempt {
    let now_ms = ctx.now_ms;
    let mut cached = match take_link(ctx, req, name) {
        Ok(cached) => cached,
        // Redis's non-blocking connect reports a refused connection only when it writes.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Attempt::SocketError { writing: true, timed_out: false }
        }
        Err(_) => return Attempt::Done(Frame::error("IOERR error or timeout connecting to the client")),
    };
    let mut out = Vec::new();
    if let Some((user, password)) = &req.auth {
        match user {
            Some(user) => command(&mut out, &[&b"AUTH"[..], user, password]),
            None => command(&mut out, &[&b"AUTH"[..], password]),
        }
    }
    let select = cached.last_db != req.db;
    if select {
        command(&mut out, &[&b"SELECT"[..], req.db.to_string().as_bytes()]);
    }
    // The keys still alive now, with their remaining time to live (at least 1 ms).
    let compression = ctx.engine.save_options().compression;
    let db = ctx.client.db;
    let mut sent: Vec<Vec<u8>> = Vec::with_capacity(present.len());
    for key in present {
        let Some(entry) = ctx.engine.dbs[db].entry(key) else { continue };
        let ttl = match entry.expire_at_ms() {
            Some(at) if at < now_ms => continue,
            Some(at) => (at - now_ms).max(1),
            None => 0,
        };
        let payload = crate::persist::rdb::dump::dump(&entry.value, compression);
        let ttl = ttl.to_string();
        let mut argv: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), &payload];
        if req.replace {
            argv.push(b"REPLACE");
        }
        command(&mut out, &argv);
        sent.push(key.clone());
    }
    if let Err(e) = cached.link.write_all(&out, req.timeout_ms) {
        return Attempt::SocketError { writing: true, timed_out: timed_out(&e) };
    }
    let read = |cached: &mut CachedLink| cached.link.read_line(req.timeout_ms);
    let auth_reply = match req.auth.is_some().then(|| read(&mut cached)).transpose() {
        Ok(r) => r,
        Err(e) => return Attempt::SocketError { writing: false, timed_out: timed_out(&e) },
    };
    let select_reply = match select.then(|| read(&mut cached)).transpose() {
        Ok(r) => r,
        Err(e) => return Attempt::SocketError { writing: false, timed_out: timed_out(&e) },
    };
    let failed_before = |r: &Option<Vec<u8>>| r.as_ref().is_some_and(|l| l.first() == Some(&b'-'));
    let mut target_error: Option<Vec<u8>> = None;
    let mut deleted: Vec<Vec<u8>> = Vec::new();
    let mut socket_error = None;
    for (i, key) in sent.iter().enumerate() {
        let line = match read(&mut cached) {
            Ok(line) => line,
            Err(e) => {
                socket_error = Some((i, e));
                break;
            }
        };
        if failed_before(&auth_reply) || failed_before(&select_reply) || line.first() == Some(&b'-') {
            if target_error.is_none() {
                let first_bad = [&auth_reply, &select_reply].into_iter().flatten().find(|l| l.first() == Some(&b'-'));
                target_error = Some(first_bad.cloned().unwrap_or(line));
                cached.last_db = -1;
            }
        } else if !req.copy {
            // No COPY: the key is gone here once the target has it.
            ctx.delete_key(key, false);
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
            ctx.dirty(1);
            deleted.push(key.clone());
        }
    }
    if !req.copy {
        // Propagated as DEL of the keys the target acknowledged; nothing if none was.
        if deleted.is_empty() {
            ctx.prevent_propagation();
        } else {
            let mut argv = vec![b"DEL".to_vec()];
            argv.extend(deleted);
            ctx.propagate_as(argv);
        }
    } else {
        ctx.prevent_propagation();
    }
    if let Some((index, e)) = socket_error {
        if target_error.is_none() {
            // Nothing was acknowledged: the transfer may be tried again on a new connection.
            if index == 0 {
                return Attempt::SocketError { writing: false, timed_out: timed_out(&e) };
            }
            return Attempt::Done(io_error(false));
        }
    }
    let reply = match target_error {
        Some(line) => {
            let text = String::from_utf8_lossy(line.get(1..).unwrap_or_default()).into_owned();
            Frame::error(format!("ERR Target instance replied with error: {text}"))
        }
        None => {
            cached.last_db = req.db;
            Frame::ok()
        }
    };
    cached.last_use_ms = now_ms;
    keep_link(ctx, name, cached);
    Attempt::Done(reply)
}

/// The kept connection to `name`, or a new one (Redis's migrateGetSocket); the connect's error
/// otherwise (NotConnected when there is no dialer).
fn take_link(ctx: &mut Ctx, req: &Request, name: &str) -> std::io::Result<CachedLink> {
    let now_ms = ctx.now_ms;
    let dialing = &mut ctx.engine.dialing;
    if let Some(mut cached) = dialing.cache.remove(name) {
        cached.last_use_ms = now_ms;
        return Ok(cached);
    }
    let dialer = dialing.dialer.as_mut().ok_or(std::io::ErrorKind::NotConnected)?;
    let link = dialer.connect(&req.host, req.port, req.timeout_ms)?;
    Ok(CachedLink { link, last_db: -1, last_use_ms: now_ms })
}

fn keep_link(ctx: &mut Ctx, name: &str, cached: CachedLink) {
    let cache = &mut ctx.engine.dialing.cache;
    if cache.len() >= CACHE_ITEMS && !cache.contains_key(name) {
        // Full: one kept connection goes (Redis drops a random one; verdis the first by name,
        // which keeps the engine deterministic).
        if let Some(first) = cache.keys().next().cloned() {
            cache.remove(&first);
        }
    }
    cache.insert(name.to_string(), cached);
}

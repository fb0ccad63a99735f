//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (client-side caching; the state and the
//! invalidations are in `engine::tracking`).

use crate::cmd::args::{err, is};
use crate::engine::errors;
use crate::engine::tracking::{check_prefix_collisions, TrackingOptions};
use crate::engine::Ctx;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

/// Parses CLIENT TRACKING's options after ON/OFF (all are parsed, even for OFF, as Redis does).
fn parse_options(ctx: &Ctx) -> Result<TrackingOptions, Frame> {
    let mut o = TrackingOptions::default();
    let argc = ctx.argc();
    let mut j = 3;
    while j < argc {
        let arg = ctx.arg(j);
        let more = argc - 1 - j > 0;
        if is(arg, "redirect") && more {
            j += 1;
            if o.redirect != 0 {
                return Err(err("ERR A client can only redirect to a single other client"));
            }
            let id = parse_i64(ctx.arg(j)).ok_or_else(|| err(errors::NOT_INTEGER))?;
            let exists = id > 0 && (id as u64 == ctx.client.id || ctx.engine.clients.contains_key(&(id as u64)));
            if !exists {
                return Err(err("ERR The client ID you want redirect to does not exist"));
            }
            o.redirect = id as u64;
        } else if is(arg, "bcast") {
            o.bcast = true;
        } else if is(arg, "optin") {
            o.optin = true;
        } else if is(arg, "optout") {
            o.optout = true;
        } else if is(arg, "noloop") {
            o.noloop = true;
        } else if is(arg, "prefix") && more {
            j += 1;
            o.prefixes.push(ctx.arg(j).to_vec());
        } else {
            return Err(err(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(o)
}

/// Checks that the options fit each other and the client's current mode; the error otherwise.
fn check_compatible(ctx: &Ctx, o: &TrackingOptions) -> Result<(), Frame> {
    let t = &ctx.client.tracking;
    if !o.bcast && !o.prefixes.is_empty() {
        return Err(err("ERR PREFIX option requires BCAST mode to be enabled"));
    }
    if t.on && t.bcast != o.bcast {
        return Err(err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if o.bcast && (o.optin || o.optout) {
        return Err(err("ERR OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if o.optin && o.optout {
        return Err(err("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if (o.optin && t.optout) || (o.optout && t.optin) {
        return Err(err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if o.bcast {
        check_prefix_collisions(t, &o.prefixes).map_err(|e| err(&e))?;
    }
    Ok(())
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub fn client_tracking(ctx: &mut Ctx) -> Frame {
    let options = match parse_options(ctx) {
        Ok(o) => o,
        Err(e) => return e,
    };
    if is(ctx.arg(2), "on") {
        if let Err(e) = check_compatible(ctx, &options) {
            return e;
        }
        ctx.engine.enable_tracking(ctx.client, options);
    } else if is(ctx.arg(2), "off") {
        ctx.engine.disable_tracking(ctx.client);
    } else {
        return err(errors::SYNTAX);
    }
    Frame::ok()
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked, in OPTIN (YES) or
/// OPTOUT (NO) mode.
pub fn client_caching(ctx: &mut Ctx) -> Frame {
    let t = &mut ctx.client.tracking;
    if !t.on {
        return err(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        );
    }
    let arg = ctx.argv[2].as_slice();
    if is(arg, "yes") {
        if !t.optin {
            return err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
        }
    } else if is(arg, "no") {
        if !t.optout {
            return err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
        }
    } else {
        return err(errors::SYNTAX);
    }
    t.caching = true;
    Frame::ok()
}

/// CLIENT GETREDIR: the redirect target, 0 without one, -1 when tracking is off.
pub fn client_getredir(ctx: &mut Ctx) -> Frame {
    let t = &ctx.client.tracking;
    Frame::Integer(if t.on { t.redirect as i64 } else { -1 })
}

/// CLIENT TRACKINGINFO: a map of the flags (a set), the redirect and the prefixes.
pub fn client_trackinginfo(ctx: &mut Ctx) -> Frame {
    let t = &ctx.client.tracking;
    let mut flags = vec![if t.on { "on" } else { "off" }];
    if t.bcast {
        flags.push("bcast");
    }
    if t.optin {
        flags.push("optin");
        if t.caching {
            flags.push("caching-yes");
        }
    }
    if t.optout {
        flags.push("optout");
        if t.caching {
            flags.push("caching-no");
        }
    }
    if t.noloop {
        flags.push("noloop");
    }
    if t.broken_redirect {
        flags.push("broken_redirect");
    }
    let redirect = if t.on { t.redirect as i64 } else { -1 };
    Frame::Map(vec![
        (Frame::bulk_str("flags"), Frame::Set(flags.into_iter().map(Frame::bulk_str).collect())),
        (Frame::bulk_str("redirect"), Frame::Integer(redirect)),
        (Frame::bulk_str("prefixes"), Frame::Array(t.prefixes.iter().cloned().map(Frame::bulk).collect())),
    ])
}

#[cfg(test)]
#[path = "tracking_tests.rs"]
mod tests;

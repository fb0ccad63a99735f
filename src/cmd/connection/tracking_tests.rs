use crate::engine::testkit::{err, ok, Harness};
use crate::resp::Frame;

#[test]
fn option_errors_as_redis() {
    let mut h = Harness::new();
    assert_eq!(h.run("CLIENT TRACKING on redirect"), err("ERR syntax error"));
    assert_eq!(h.run("CLIENT TRACKING on redirect 0"), err("ERR The client ID you want redirect to does not exist"));
    assert_eq!(h.run("CLIENT TRACKING on redirect x"), err("ERR value is not an integer or out of range"));
    assert_eq!(
        h.run("CLIENT TRACKING on redirect 1 redirect 1"),
        err("ERR A client can only redirect to a single other client")
    );
    assert_eq!(h.run("CLIENT TRACKING on prefix a"), err("ERR PREFIX option requires BCAST mode to be enabled"));
    assert_eq!(
        h.run("CLIENT TRACKING on bcast prefix ab prefix a"),
        err(
            "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."
        )
    );
    assert_eq!(h.run("CLIENT TRACKING on bcast optin"), err("ERR OPTIN and OPTOUT are not compatible with BCAST"));
    assert_eq!(h.run("CLIENT TRACKING on optin optout"), err("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    assert_eq!(h.run("CLIENT TRACKING maybe"), err("ERR syntax error"));
    assert_eq!(h.run("CLIENT TRACKING on optin"), ok());
    assert_eq!(
        h.run("CLIENT TRACKING on optout"),
        err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
    );
    assert_eq!(
        h.run("CLIENT TRACKING on bcast"),
        err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
    );
    assert_eq!(
        h.run("CLIENT CACHING no"),
        err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    );
    assert_eq!(h.run("CLIENT CACHING yes"), ok());
    assert_eq!(h.run("CLIENT TRACKING off"), ok());
    assert_eq!(
        h.run("CLIENT CACHING yes"),
        err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
    );
}

#[test]
fn getredir_and_trackinginfo() {
    let mut h = Harness::new();
    assert_eq!(h.run("CLIENT GETREDIR"), Frame::Integer(-1));
    h.run("CLIENT TRACKING on bcast prefix b prefix a noloop");
    assert_eq!(h.run("CLIENT GETREDIR"), Frame::Integer(0));
    let info = h.run("CLIENT TRACKINGINFO");
    let want = Frame::Map(vec![
        (
            Frame::bulk_str("flags"),
            Frame::Set(vec![Frame::bulk_str("on"), Frame::bulk_str("bcast"), Frame::bulk_str("noloop")]),
        ),
        (Frame::bulk_str("redirect"), Frame::Integer(0)),
        (Frame::bulk_str("prefixes"), Frame::Array(vec![Frame::bulk_str("a"), Frame::bulk_str("b")])),
    ]);
    assert_eq!(info, want);
    h.run("RESET");
    assert_eq!(h.run("CLIENT GETREDIR"), Frame::Integer(-1));
    assert_eq!(h.engine.tracking.total_prefixes(), 0);
}

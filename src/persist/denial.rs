//! Write denial after a persistence failure (Redis's writeCommandsDeniedByDiskError): when the
//! server cannot persist, it refuses commands that may change the data instead of losing them
//! silently. specs/rules/misconf.md states the rules; specs/src/model/misconf.rs models them.
//!
//! The RDB case reads the save state the engine keeps (`Persistence::last_bgsave_ok`) and the
//! configuration. The AOF case reads `AofHealth`, which the AOF writer keeps up to date: this is
//! the whole interface between the AOF code and the denial rule.

use crate::engine::config::index_of;
use crate::engine::{errors, Engine};

/// What the denial rule needs to know about the AOF. The AOF writer sets it: `enabled` while
/// `appendonly` is on (including while waiting for the first rewrite), `write_error` when the
/// last write to the AOF failed (cleared when a retried write succeeds), `fsync_error` when the
/// last background fsync failed (cleared when one succeeds). The texts are strerror texts, as
/// the MISCONF reply shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AofHealth {
    pub enabled: bool,
    /// Redis's aof_last_write_status == C_ERR, with strerror(aof_last_write_errno).
    pub write_error: Option<String>,
    /// Redis's aof_bio_fsync_status == C_ERR, with strerror(aof_bio_fsync_errno).
    pub fsync_error: Option<String>,
}

impl AofHealth {
    /// INFO's aof_last_write_status: "err" after a failed write or fsync.
    pub fn last_write_status(&self) -> &'static str {
        if self.write_error.is_some() || self.fsync_error.is_some() {
            "err"
        } else {
            "ok"
        }
    }
}

/// Why writes are refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteDenial {
    /// The last background save failed (MISCONF-1).
    Rdb,
    /// Writing or syncing the AOF failed, with the strerror text (MISCONF-2).
    Aof(String),
}

impl WriteDenial {
    /// The error reply a refused command gets.
    pub fn message(&self) -> String {
        match self {
            WriteDenial::Rdb => errors::MISCONF_RDB.to_string(),
            WriteDenial::Aof(reason) => errors::misconf_aof(reason),
        }
    }
}

/// The rule over its inputs, as a pure function (the engine and the model share its shape):
/// the RDB case first, then a failed AOF write, then a failed AOF fsync.
pub fn denial(
    stop_writes_on_bgsave_error: bool,
    has_save_points: bool,
    last_bgsave_ok: bool,
    aof: &AofHealth,
) -> Option<WriteDenial> {
    if stop_writes_on_bgsave_error && has_save_points && !last_bgsave_ok {
        return Some(WriteDenial::Rdb);
    }
    if !aof.enabled {
        return None;
    }
    aof.write_error.as_ref().or(aof.fsync_error.as_ref()).map(|e| WriteDenial::Aof(e.clone()))
}

impl Engine {
    /// Why commands that may write are refused now, if they are.
    pub fn write_denial(&self) -> Option<WriteDenial> {
        denial(
            self.config.bool_value(const { index_of("stop-writes-on-bgsave-error") }),
            !self.config.save_points().is_empty(),
            self.persist.last_bgsave_ok,
            &self.aof_health(),
        )
    }

    /// What the rule reads about the AOF: the AOF writer's own status (`persist.aof`).
    pub fn aof_health(&self) -> AofHealth {
        let aof = &self.persist.aof;
        AofHealth {
            enabled: self.aof_on(),
            write_error: aof.last_write.as_ref().err().cloned(),
            fsync_error: aof.last_fsync.as_ref().err().cloned(),
        }
    }
}

//! CLIENT PAUSE (Redis's pauseClients/unpauseClients in networking.c): for a while, commands
//! wait instead of running — every command (ALL), or only those that write or may propagate
//! (WRITE: PUBLISH, PFCOUNT, EXEC of a transaction holding a write). A waiting client is
//! postponed: it counts as blocked, the server reads nothing more from it, and its command runs,
//! in the order the clients were postponed, when the pause ends, is lifted by CLIENT UNPAUSE, or
//! becomes less strict (ALL to WRITE), when it may be postponed again.

use super::multi::MultiState;
use super::table::Flags;
use super::Engine;
use std::collections::VecDeque;

/// How strict a pause is; the order matters (a stricter pause wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    Write,
    All,
}

/// The pause in effect and the commands waiting for it to end.
#[derive(Debug, Default)]
pub struct Pause {
    /// The pause and its end, in Unix milliseconds.
    active: Option<(PauseKind, u64)>,
    /// Postponed clients with the command each waits to run, in the order they were postponed.
    postponed: VecDeque<(u64, Vec<Vec<u8>>)>,
    /// The pause became less strict or ended: the postponed commands are to be run again.
    resume: bool,
}

impl Pause {
    /// CLIENT PAUSE: a pause in effect keeps the later end and the stricter kind.
    pub fn start(&mut self, kind: PauseKind, end_ms: u64) {
        self.active = Some(match self.active {
            Some((k, e)) => (k.max(kind), e.max(end_ms)),
            None => (kind, end_ms),
        });
    }

    /// CLIENT UNPAUSE.
    pub fn stop(&mut self) {
        if self.active.take().is_some() {
            self.resume = true;
        }
    }

    /// The kind in effect at `now_ms`; ends an expired pause.
    pub fn kind_at(&mut self, now_ms: u64) -> Option<PauseKind> {
        match self.active {
            Some((_, end_ms)) if end_ms < now_ms => {
                self.stop();
                None
            }
            Some((kind, _)) => Some(kind),
            None => None,
        }
    }

    /// When the pause in effect ends (the server wakes then to run what waited).
    pub fn end_ms(&self) -> Option<u64> {
        self.active.map(|(_, end_ms)| end_ms)
    }

    pub fn is_postponed(&self, client: u64) -> bool {
        self.postponed.iter().any(|(c, _)| *c == client)
    }

    /// INFO's `blocked_clients` counts postponed clients, as Redis's BLOCKED_POSTPONE.
    pub fn postponed_count(&self) -> usize {
        self.postponed.len()
    }

    /// True when postponed commands are to run again (the pause ended).
    pub fn wants_resume(&self) -> bool {
        self.resume
    }

    /// A disconnected client's waiting command is dropped.
    pub fn forget(&mut self, client: u64) {
        self.postponed.retain(|(c, _)| *c != client);
    }

    /// True for a pause that applies to a command with these flags (for EXEC, with the flags of
    /// what it queued), as Redis's processCommand decides.
    fn holds(kind: PauseKind, name: &str, flags: Flags, multi: &MultiState) -> bool {
        let replicates = |f: Flags| f.contains(Flags::WRITE) || f.contains(Flags::MAY_REPLICATE);
        match kind {
            PauseKind::All => true,
            PauseKind::Write => replicates(flags) || (name == "exec" && replicates(multi.cmd_flags)),
        }
    }
}

impl Engine {
    /// Postpones the command when a pause holds it; true when it did.
    pub(super) fn postpone_if_paused(
        &mut self,
        client: u64,
        name: &str,
        flags: Flags,
        multi: &MultiState,
        argv: &[Vec<u8>],
        now_ms: u64,
    ) -> bool {
        let Some(kind) = self.pause.kind_at(now_ms) else {
            return false;
        };
        if !Pause::holds(kind, name, flags, multi) {
            return false;
        }
        self.pause.postponed.push_back((client, argv.to_vec()));
        true
    }

    /// Ends an expired pause (the server's cron calls it) and runs the postponed commands when a
    /// pause ended or became less strict. Their replies go to the outbox and their clients are
    /// reported unblocked, so the server resumes reading their queued input.
    pub fn resume_postponed(&mut self, now_ms: u64) {
        let kind = self.pause.kind_at(now_ms);
        if !std::mem::take(&mut self.pause.resume) {
            return;
        }
        let waiting = std::mem::take(&mut self.pause.postponed);
        debug_assert!(kind.is_none() || kind == Some(PauseKind::Write));
        for (client, argv) in waiting {
            if !self.clients.contains_key(&client) {
                continue;
            }
            if let Some(reply) = self.execute(client, &argv, now_ms) {
                self.outbox.push((client, reply));
            }
            if !self.is_blocked(client) {
                self.blocking.report_unblocked(client);
            }
        }
    }

    /// True while a pause of writes is in effect (the active expire cycle then waits, as Redis's).
    pub fn writes_paused(&mut self, now_ms: u64) -> bool {
        self.pause.kind_at(now_ms).is_some()
    }
}

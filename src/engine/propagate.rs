//! Command propagation, as Redis 7.0's call()/alsoPropagate()/propagatePendingCommands(): what a
//! command that changed the dataset hands to the AOF (and, one day, to replicas).
//!
//! A command that made the dataset dirty propagates as typed, unless its handler rewrote it
//! (`Ctx::propagate_as`: relative expiry as PEXPIREAT, SET EX as SET PXAT, ...) or prevented it
//! and queued other commands instead (`Ctx::also_propagate`: SPOP with a count as SREMs). Keys
//! deleted on expiry are queued as DEL (UNLINK with lazyfree-lazy-expire) before the command
//! that found them. When the outermost call ends, what it queued is emitted as one unit; a unit
//! of more than one command is wrapped in MULTI/EXEC (so a transaction with one write is not),
//! except for units that come from the active expire cycle, which Redis never wraps.
//!
//! Nothing is recorded while `enabled` is false (no AOF, nobody consuming), so the cost then is a
//! flag test per call.

/// One command to propagate, with the database it applies to.
pub type PropOp = (usize, Vec<Vec<u8>>);

/// What the running call asked for (saved and restored around nested calls: EXEC).
#[derive(Debug, Default)]
pub struct CallProp {
    /// Propagate these instead of the command as typed (when the command made the data dirty).
    pub rewrite: Vec<Vec<Vec<u8>>>,
    /// Do not propagate the command itself (its `also` commands still go).
    pub prevent: bool,
    /// Propagate even when the data did not change (FLUSHALL on empty databases).
    pub force: bool,
}

#[derive(Debug, Default)]
pub struct Propagation {
    /// Record and emit propagated commands.
    pub enabled: bool,
    /// Commands queued by the running execution unit (Redis's server.also_propagate).
    pending: Vec<PropOp>,
    /// Depth of call() (Redis's in_nested_call).
    pub nesting: u32,
    /// The running call's requests.
    pub call: CallProp,
    /// Emitted commands, MULTI/EXEC included, waiting for the consumer (`take`).
    out: Vec<PropOp>,
    /// Units emitted so far (one per flush that emitted something).
    pub units: u64,
}

impl Propagation {
    /// Queues a command for the running unit (alsoPropagate).
    pub fn also(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.enabled {
            self.pending.push((db, argv));
        }
    }

    /// True when the running unit queued something.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Emits what the unit queued (propagatePendingCommands). `no_multi` for the active expire
    /// cycle, whose DELs Redis emits without a transaction.
    pub fn flush(&mut self, no_multi: bool) {
        if self.pending.is_empty() {
            return;
        }
        let ops = std::mem::take(&mut self.pending);
        self.units += 1;
        let wrap = ops.len() > 1 && !no_multi;
        if wrap {
            self.out.push((ops[0].0, vec![b"MULTI".to_vec()]));
        }
        let last_db = ops[ops.len() - 1].0;
        self.out.extend(ops);
        if wrap {
            self.out.push((last_db, vec![b"EXEC".to_vec()]));
        }
    }

    /// Takes the emitted commands, oldest first.
    pub fn take(&mut self) -> Vec<PropOp> {
        std::mem::take(&mut self.out)
    }

    /// The number of emitted commands waiting for the consumer.
    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    /// The emitted commands from position `start` on.
    pub fn out_from(&self, start: usize) -> Vec<PropOp> {
        self.out[start..].to_vec()
    }

    /// True when emitted commands wait for the consumer.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }
}

/// `s` as a decimal argument.
pub fn num_arg(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

impl super::Engine {
    /// Starts a call's propagation bookkeeping; returns the caller's state to restore.
    pub(crate) fn begin_call_propagation(&mut self) -> Option<CallProp> {
        if !self.prop.enabled {
            return None;
        }
        self.prop.nesting += 1;
        Some(std::mem::take(&mut self.prop.call))
    }

    /// Ends a call: queues the command (as typed or rewritten) when it changed the data, and
    /// emits the unit when this was the outermost call. EXEC is never propagated itself.
    pub(crate) fn end_call_propagation(
        &mut self,
        saved: Option<CallProp>,
        db: usize,
        argv: &[Vec<u8>],
        dirty: bool,
        is_exec: bool,
    ) {
        let Some(saved) = saved else { return };
        let call = std::mem::replace(&mut self.prop.call, saved);
        self.prop.nesting = self.prop.nesting.saturating_sub(1);
        if (dirty || call.force) && !call.prevent && !is_exec {
            if call.rewrite.is_empty() {
                self.prop.also(db, argv.to_vec());
            } else {
                for argv in call.rewrite {
                    self.prop.also(db, argv);
                }
            }
        }
        if self.prop.nesting == 0 {
            // A command that may expire arbitrary keys (SCAN, RANDOMKEY), run directly, emits
            // its DELs unwrapped, like the active expire cycle (Redis's
            // CMD_TOUCHES_ARBITRARY_KEYS in propagatePendingCommands).
            let arbitrary =
                argv.first().is_some_and(|n| n.eq_ignore_ascii_case(b"scan") || n.eq_ignore_ascii_case(b"randomkey"));
            self.emit_unit(arbitrary);
        }
    }

    /// A key removed because it expired (or was evicted) propagates as DEL, or UNLINK when the
    /// removal was lazy (Redis's propagateDeletion).
    pub fn propagate_deletion(&mut self, db: usize, key: &[u8], lazy: bool) {
        if self.prop.enabled {
            let name: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
            self.prop.also(db, vec![name.to_vec(), key.to_vec()]);
        }
    }

    /// Emits what was queued outside any call (expiry found while serving blocked clients).
    pub fn flush_propagation(&mut self, no_multi: bool) {
        if self.prop.nesting == 0 {
            self.emit_unit(no_multi);
        }
    }

    /// Emits the running unit (propagatePendingCommands): replicas get it at once, the AOF
    /// takes it at its next write.
    fn emit_unit(&mut self, no_multi: bool) {
        let start = self.prop.out_len();
        self.prop.flush(no_multi);
        if self.repl.backlog.is_some() && self.prop.out_len() > start {
            let ops = self.prop.out_from(start);
            self.repl_feed(&ops);
        }
    }

    /// Without an AOF, emitted units only fed the replicas: the server drops them here.
    pub fn drop_propagated_without_aof(&mut self) {
        if self.persist.aof.status == crate::persist::aof::AofStatus::Off && self.prop.has_output() {
            self.prop.take();
        }
    }

    /// The commands propagated since the last call, with their databases, MULTI/EXEC included.
    pub fn take_propagated(&mut self) -> Vec<PropOp> {
        self.prop.take()
    }
}

impl super::Engine {
    /// Ends a blocked client's serve callback: the pop it did propagates as what it asked for,
    /// as its own unit (Redis's afterCommand for the unblocked client).
    pub(crate) fn end_served_propagation(&mut self, saved: Option<CallProp>, db: usize) {
        let Some(saved) = saved else { return };
        let call = std::mem::replace(&mut self.prop.call, saved);
        self.prop.nesting = self.prop.nesting.saturating_sub(1);
        for argv in call.rewrite {
            self.prop.also(db, argv);
        }
        if self.prop.nesting == 0 {
            self.emit_unit(false);
        }
    }
}

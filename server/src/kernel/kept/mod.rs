//! Kernels that outlive the page: the server-wide registry of kernel hosts, keyed by
//! [`KernelKey`] (a notebook's path, or the scratch notebook's per-tab id).
//!
//! A session attaches to the host of its key, which the registry starts on first use, and
//! detaches when its socket ends; the host keeps the kernel for `--cull-idle-timeout` after
//! that, logging what the kernel says for the next session ([`replay`]). A session without a
//! key gets a private host that ends with it, as every session's kernel did before. Every
//! host, kept or private, is in the "Running kernels" list ([`KeptKernels::list`]) and can be
//! shut down from it.
//!
//! - [`host`]: one kernel and its attached sessions (a task).
//! - [`replay`]: the bounded log of what a kernel said while nobody was attached.
//!
//! Why a task per kernel rather than state under the registry's lock: a kernel's events and
//! its sessions' commands arrive concurrently and must be handled in order (states, counts,
//! the current cell), which is what one task reading its queues gives; the registry's lock
//! only guards the table, never an await.

pub mod host;
pub mod replay;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;
use wirebook_shared::kept_kernels::{KernelKey, RunningKernel, RunningKernels};
use wirebook_shared::KernelInfo;

use crate::kernel::kept::host::{
    Attached, Attachment, HostCommand, HostHandle, HostSetup, PendingAttach, Starter,
};
use crate::kernel::kept::replay::{ReplayBudget, ReplayLog};
use crate::shutdown::Shutdown;

/// What the registry is told (see `crate::config::KeptConfig`).
#[derive(Debug, Clone, Copy)]
pub struct KeptSettings {
    /// How long a kept kernel without sessions lives on after its last activity.
    pub cull_idle_timeout: Duration,
    /// Kept kernels at most; a session naming a new key past it gets a private kernel.
    pub max_kept: usize,
    /// Bytes all replay logs together may hold.
    pub replay_budget: usize,
}

/// A session's attachment to its kernel, and what it must tell its browser first.
#[derive(Debug)]
pub struct Joined {
    pub attachment: Attachment,
    pub attached: Attached,
    /// Something the browser should know (the registry is full, so the kernel is private).
    pub notice: Option<String>,
}

/// Every kernel host of the server.
pub struct KeptKernels {
    table: Mutex<Table>,
    settings: KeptSettings,
    starter: Starter,
    budget: Arc<ReplayBudget>,
    /// The kernel a new host starts with.
    startup: KernelInfo,
    shutdown: Shutdown,
    me: Weak<KeptKernels>,
}

impl std::fmt::Debug for KeptKernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptKernels")
            .field("settings", &self.settings)
            .field("startup", &self.startup.name)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Table {
    next_id: u64,
    hosts: BTreeMap<u64, Entry>,
    by_key: HashMap<KernelKey, u64>,
}

struct Entry {
    key: Option<KernelKey>,
    handle: HostHandle,
}

impl KeptKernels {
    pub fn new(
        settings: KeptSettings,
        startup: KernelInfo,
        starter: Starter,
        shutdown: Shutdown,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| KeptKernels {
            table: Mutex::new(Table {
                next_id: 1,
                ..Table::default()
            }),
            settings,
            starter,
            budget: Arc::new(ReplayBudget::new(settings.replay_budget)),
            startup,
            shutdown,
            me: me.clone(),
        })
    }

    pub fn settings(&self) -> &KeptSettings {
        &self.settings
    }

    /// The bytes the replay logs hold now.
    pub fn replay_bytes(&self) -> usize {
        self.budget.used()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Attaches a session to the kernel of `key` (starting it if there is none), or to a new
    /// private kernel without a key.
    pub async fn attach(&self, key: Option<KernelKey>) -> Result<Joined, String> {
        // A host that is ending as we come takes the request down with it: try again, and
        // the next attempt starts a new host.
        for _ in 0..3 {
            let (queued, pending, notice) = self.request_attach(key.as_ref());
            if let Some((commands, command)) = queued {
                if commands.send(command).await.is_err() {
                    continue;
                }
            }
            if let Some((attachment, attached)) = pending.finish().await {
                return Ok(Joined {
                    attachment,
                    attached,
                    notice,
                });
            }
        }
        Err("could not attach to the kernel: it kept ending".into())
    }

    /// Under the table's lock: finds or starts the host and queues the attach request, so that
    /// a host cannot retire between being found and getting it (see [`KeptKernels::retire`]).
    /// When its queue is full, the command comes back to be sent after the lock.
    #[allow(clippy::type_complexity)]
    fn request_attach(
        &self,
        key: Option<&KernelKey>,
    ) -> (
        Option<(tokio::sync::mpsc::Sender<HostCommand>, HostCommand)>,
        PendingAttach,
        Option<String>,
    ) {
        let mut table = self.table();
        let mut notice = None;
        let existing = key.and_then(|key| table.by_key.get(key).copied());
        let handle = match existing.and_then(|id| table.hosts.get(&id)) {
            Some(entry) => entry.handle.clone(),
            None => {
                let kept = table.by_key.len();
                let key = match key {
                    Some(_) if kept >= self.settings.max_kept => {
                        notice = Some(format!(
                            "{kept} kernels are kept already (the most this server keeps): this \
                             page's kernel ends when the page closes. Shut some down under \
                             Running kernels."
                        ));
                        None
                    }
                    other => other.cloned(),
                };
                self.start_host(&mut table, key)
            }
        };
        let (command, pending) = handle.attach_request();
        let queued = match handle.commands.try_send(command) {
            Ok(()) => None,
            Err(TrySendError::Full(command)) => Some((handle.commands.clone(), command)),
            // The host ended; `finish` fails and the caller tries again.
            Err(TrySendError::Closed(_)) => None,
        };
        (queued, pending, notice)
    }

    fn start_host(&self, table: &mut Table, key: Option<KernelKey>) -> HostHandle {
        let id = table.next_id;
        table.next_id += 1;
        let me = self.me.clone();
        let handle = host::spawn(HostSetup {
            info: self.startup.clone(),
            keep_for: key.as_ref().map(|_| self.settings.cull_idle_timeout),
            starter: Arc::clone(&self.starter),
            // One log may take a quarter of the budget: a chatty kernel cannot crowd the
            // others' logs out entirely.
            replay: ReplayLog::new(Arc::clone(&self.budget), self.settings.replay_budget / 4),
            retire: Box::new(move || me.upgrade().is_none_or(|kept| kept.retire(id))),
            shutdown: self.shutdown.clone(),
        });
        if let Some(key) = &key {
            table.by_key.insert(key.clone(), id);
        }
        table.hosts.insert(
            id,
            Entry {
                key,
                handle: handle.clone(),
            },
        );
        handle
    }

    /// Forgets host `id` unless a command (an attach, perhaps) waits in its queue: attaches
    /// are queued under this same lock, so none can slip in after the check.
    fn retire(&self, id: u64) -> bool {
        let mut table = self.table();
        let Some(entry) = table.hosts.get(&id) else {
            return true;
        };
        if entry.handle.has_queued() {
            return false;
        }
        if let Some(entry) = table.hosts.remove(&id) {
            if let Some(key) = entry.key {
                table.by_key.remove(&key);
            }
        }
        true
    }

    /// The "Running kernels" list, kept kernels and private ones, oldest first.
    pub fn list(&self) -> RunningKernels {
        let now = Instant::now();
        let table = self.table();
        let kernels = table
            .hosts
            .iter()
            .map(|(id, entry)| {
                let status = entry.handle.status();
                RunningKernel {
                    id: *id,
                    key: entry.key.clone(),
                    kernel: status.kernel,
                    state: status.state,
                    attached: status.attached,
                    idle_seconds: now.duration_since(status.last_activity).as_secs(),
                }
            })
            .collect();
        RunningKernels {
            kernels,
            cull_idle_timeout_seconds: self.settings.cull_idle_timeout.as_secs(),
        }
    }

    /// Shuts kernel `id` down: its attached sessions see it closed; a kept kernel without
    /// sessions is forgotten. `false` for an unknown id.
    pub async fn shut_down(&self, id: u64) -> bool {
        let entry = {
            let mut table = self.table();
            let Some(entry) = table.hosts.get(&id) else {
                return false;
            };
            let handle = entry.handle.clone();
            // Without sessions nobody would see the host again: forget it now, so the list
            // and the next attach agree at once.
            if handle.status().attached == 0 && !handle.has_queued() {
                if let Some(entry) = table.hosts.remove(&id) {
                    if let Some(key) = entry.key {
                        table.by_key.remove(&key);
                    }
                }
            }
            handle
        };
        let reason = "shut down from the running kernels list".to_string();
        // A host that already ended has nothing left to shut down.
        let _ = entry.commands.send(HostCommand::ShutDown { reason }).await;
        true
    }
}

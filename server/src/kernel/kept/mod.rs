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
//! - [`api`]: `/api/kernels`, the list and its shutdown.
//!
//! Why a task per kernel rather than state under the registry's lock: a kernel's events and
//! its sessions' commands arrive concurrently and must be handled in order (states, counts,
//! the current cell), which is what one task reading its queues gives; the registry's lock
//! only guards the table, never an await.

pub mod api;
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
    /// The kernel's id in the registry (the list's).
    pub id: u64,
    pub attachment: Attachment,
    pub attached: Attached,
    /// Something the browser should know (the registry is full, so the kernel is private).
    pub notice: Option<String>,
}

/// How an error names a key.
fn label(key: &KernelKey) -> String {
    match key {
        KernelKey::Notebook { path } => path.clone(),
        KernelKey::Tab { id } => format!("tab {id}"),
    }
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
            let (id, queued, pending, notice) = self.request_attach(key.as_ref());
            if let Some((commands, command)) = queued {
                if commands.send(command).await.is_err() {
                    continue;
                }
            }
            if let Some((attachment, attached)) = pending.finish().await {
                return Ok(Joined {
                    id,
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
        u64,
        Option<(tokio::sync::mpsc::Sender<HostCommand>, HostCommand)>,
        PendingAttach,
        Option<String>,
    ) {
        let mut table = self.table();
        let mut notice = None;
        let existing = key.and_then(|key| table.by_key.get(key).copied());
        let found = existing.and_then(|id| Some((id, table.hosts.get(&id)?.handle.clone())));
        let (id, handle) = match found {
            Some(found) => found,
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
        (id, queued, pending, notice)
    }

    fn start_host(&self, table: &mut Table, key: Option<KernelKey>) -> (u64, HostHandle) {
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
        (id, handle)
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

    /// A notebook (or a folder of notebooks) moved from `from` to `to`: the kept kernels of the
    /// paths under it follow, so the renamed notebook's pages find theirs again. A kernel
    /// whose new path has one already stays where it was.
    pub fn notebook_moved(&self, from: &str, to: &str) {
        let mut table = self.table();
        let moves: Vec<(KernelKey, KernelKey)> = table
            .by_key
            .keys()
            .filter_map(|key| {
                let KernelKey::Notebook { path } = key else {
                    return None;
                };
                let moved = if path == from {
                    to.to_string()
                } else {
                    let rest = path.strip_prefix(from)?.strip_prefix('/')?;
                    format!("{to}/{rest}")
                };
                Some((key.clone(), KernelKey::Notebook { path: moved }))
            })
            .collect();
        for (old, new) in moves {
            if table.by_key.contains_key(&new) {
                continue;
            }
            let Some(id) = table.by_key.remove(&old) else {
                continue;
            };
            if let Some(entry) = table.hosts.get_mut(&id) {
                entry.key = Some(new.clone());
            }
            table.by_key.insert(new, id);
        }
    }

    /// Keeps kernel `id` under `to` from now on (the scratch notebook was saved as a file).
    pub fn move_kernel(&self, id: u64, to: KernelKey) -> Result<(), String> {
        let mut table = self.table();
        match table.by_key.get(&to) {
            Some(holder) if *holder == id => return Ok(()),
            Some(_) => return Err(format!("{} has a kernel of its own already", label(&to))),
            None => {}
        }
        let Some(entry) = table.hosts.get_mut(&id) else {
            return Err("this page's kernel has ended".into());
        };
        let Some(old) = entry.key.replace(to.clone()) else {
            entry.key = None;
            return Err("this page's kernel is its own (not kept), so it stays so".into());
        };
        table.by_key.remove(&old);
        table.by_key.insert(to, id);
        Ok(())
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use wirebook_shared::{KernelChoice, KernelState, ServerMsg, WireData};

    use super::*;
    use crate::kernel::kept::replay::Relay;
    use crate::kernel::{Execute, KernelEvent, KernelLink, LinkCommand, StateReport};

    /// Kernels started and not yet ended.
    #[derive(Clone, Default)]
    struct Live(Arc<AtomicUsize>);

    struct Alive(Live);

    impl Drop for Alive {
        fn drop(&mut self) {
            (self.0).0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    impl Live {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A kernel that opens at once and answers each cell with its code, `later N` after N
    /// seconds.
    fn starter(live: Live, shutdown: Shutdown) -> Starter {
        Arc::new(move |id, _info, events| {
            live.0.fetch_add(1, Ordering::SeqCst);
            let alive = Alive(live.clone());
            KernelLink::spawn(id, &shutdown, move |mut queue, _shutdown| async move {
                let _alive = alive;
                StateReport::new(id, events.clone())
                    .send(KernelState::open())
                    .await;
                while let Some(command) = queue.recv().await {
                    let LinkCommand::Execute(execute) = command else {
                        continue;
                    };
                    let cell_id = execute.cell_id.clone();
                    let _ = events.send(KernelEvent::Sent { cell_id }).await;
                    let delay = execute
                        .code
                        .strip_prefix("later ")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    tokio::time::sleep(Duration::from_secs(delay)).await;
                    let data = WireData::Text { text: execute.code };
                    let _ = events.send(KernelEvent::Received { data, seq: None }).await;
                }
            })
        })
    }

    const CULL: Duration = Duration::from_secs(60);

    fn registry(live: &Live, replay_budget: usize) -> Arc<KeptKernels> {
        let shutdown = Shutdown::new();
        KeptKernels::new(
            KeptSettings {
                cull_idle_timeout: CULL,
                max_kept: 4,
                replay_budget,
            },
            KernelInfo {
                name: "fake".into(),
                url: "fake://".into(),
                choice: KernelChoice::Startup,
                language: None,
            },
            starter(live.clone(), shutdown.clone()),
            shutdown,
        )
    }

    fn notebook(path: &str) -> Option<KernelKey> {
        Some(KernelKey::Notebook { path: path.into() })
    }

    async fn next(attachment: &mut Attachment) -> ServerMsg {
        tokio::time::timeout(Duration::from_secs(30), attachment.relays.recv())
            .await
            .expect("the host said nothing")
            .expect("the host ended")
            .msg
    }

    async fn run(attachment: &mut Attachment, cell: &str, code: &str) {
        let execute = Execute {
            cell_id: cell.into(),
            code: code.into(),
            format: Default::default(),
            caused_by: None,
        };
        assert!(attachment.execute(execute).await);
    }

    async fn open(kept: &KeptKernels, key: Option<KernelKey>) -> Joined {
        let mut joined = kept.attach(key).await.unwrap();
        if joined.attached.state.is_none() {
            let msg = next(&mut joined.attachment).await;
            assert_eq!(
                msg,
                ServerMsg::Kernel {
                    state: KernelState::open()
                }
            );
        }
        joined
    }

    /// A session on `a.ipynb` that runs `code` (`later N`: the fake kernel answers N s
    /// later) and leaves once the run is taken, before its output comes.
    async fn run_and_leave(kept: &KeptKernels, code: &str) {
        let mut first = open(kept, notebook("a.ipynb")).await;
        run(&mut first.attachment, "c1", code).await;
        assert!(matches!(
            next(&mut first.attachment).await,
            ServerMsg::Executed { .. }
        ));
    }

    /// Lets the hosts handle what was sent to them (the clock is paused; nothing sleeps).
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_of_one_key_share_its_kernel_and_see_each_others_runs() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let mut first = open(&kept, notebook("a.ipynb")).await;
        let mut second = open(&kept, notebook("a.ipynb")).await;
        assert_eq!(second.attached.state, Some(KernelState::open()));
        let mut other = open(&kept, notebook("b.ipynb")).await;
        assert_eq!(live.count(), 2);
        run(&mut first.attachment, "c1", "hai").await;
        for attachment in [&mut first.attachment, &mut second.attachment] {
            let executed = ServerMsg::Executed {
                cell_id: "c1".into(),
                execution_count: 1,
            };
            assert_eq!(next(attachment).await, executed);
            assert!(
                matches!(next(attachment).await, ServerMsg::Output { cell_id, .. } if cell_id == "c1")
            );
        }
        // The other notebook's kernel heard nothing.
        run(&mut other.attachment, "c9", "x").await;
        let counted = next(&mut other.attachment).await;
        assert!(matches!(
            counted,
            ServerMsg::Executed {
                execution_count: 1,
                ..
            }
        ));
        settle().await;
        let list = kept.list();
        assert_eq!(list.kernels.len(), 2);
        assert_eq!(list.kernels[0].key, notebook("a.ipynb"));
        assert_eq!(list.kernels[0].attached, 2);
        assert_eq!(list.kernels[0].kernel, "fake");
        assert_eq!(list.cull_idle_timeout_seconds, 60);
    }

    #[tokio::test(start_paused = true)]
    async fn a_returning_session_gets_the_same_kernel_and_what_it_said_meanwhile() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        run_and_leave(&kept, "later 5").await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(kept.list().kernels[0].attached, 0);
        assert_eq!(live.count(), 1);
        let mut back = kept.attach(notebook("a.ipynb")).await.unwrap();
        assert_eq!(back.attached.state, Some(KernelState::open()));
        assert_eq!(back.attached.dropped, 0);
        let replayed: Vec<_> = back.attached.replay.iter().map(|r| &r.msg).collect();
        assert_eq!(
            replayed,
            [&ServerMsg::Output {
                cell_id: "c1".into(),
                data: WireData::Text {
                    text: "later 5".into()
                }
            }]
        );
        // The kernel's own count goes on: it is the same kernel.
        run(&mut back.attachment, "c2", "x").await;
        let counted = next(&mut back.attachment).await;
        assert!(
            matches!(
                counted,
                ServerMsg::Executed {
                    execution_count: 2,
                    ..
                }
            ),
            "{counted:?}"
        );
        assert_eq!(live.count(), 1);
        // The replay was handed over: the next session gets none of it again.
        drop(back);
        settle().await;
        assert!(kept
            .attach(notebook("a.ipynb"))
            .await
            .unwrap()
            .attached
            .replay
            .is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_replay_log_is_bounded() {
        let live = Live::default();
        let one = Relay::new(ServerMsg::Output {
            cell_id: "c".into(),
            data: WireData::Text {
                text: "later 1".into(),
            },
        })
        .cost();
        // Room for two outputs (or an output and two `Executed`) in one log: a quarter of
        // the budget.
        let kept = registry(&live, one * 2 * 4);
        let mut first = open(&kept, notebook("a.ipynb")).await;
        for n in 0..5 {
            run(&mut first.attachment, &format!("c{n}"), "later 1").await;
        }
        drop(first);
        tokio::time::sleep(Duration::from_secs(30)).await;
        let back = kept.attach(notebook("a.ipynb")).await.unwrap();
        let outputs = back
            .attached
            .replay
            .iter()
            .filter(|r| matches!(r.msg, ServerMsg::Output { .. }))
            .count();
        assert!(outputs <= 2, "{:?}", back.attached.replay);
        assert!(back.attached.dropped >= 3, "{}", back.attached.dropped);
        // The newest are kept.
        let last = back.attached.replay.last().map(|r| &r.msg);
        assert!(
            matches!(last, Some(ServerMsg::Output { cell_id, .. }) if cell_id == "c4"),
            "{last:?}"
        );
        assert!(kept.replay_bytes() == 0, "handed over, the log is empty");
    }

    #[tokio::test(start_paused = true)]
    async fn a_kernel_without_sessions_is_culled_after_the_idle_timeout() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let first = open(&kept, notebook("a.ipynb")).await;
        let culled = kept.list().kernels[0].id;
        drop(first);
        settle().await;
        tokio::time::sleep(CULL - Duration::from_secs(1)).await;
        assert_eq!(kept.list().kernels.len(), 1, "kept within the timeout");
        assert_eq!(kept.list().kernels[0].idle_seconds, CULL.as_secs() - 1);
        assert_eq!(live.count(), 1);
        tokio::time::sleep(Duration::from_secs(2)).await;
        settle().await;
        assert!(kept.list().kernels.is_empty(), "culled");
        assert_eq!(live.count(), 0, "its kernel ended");
        // The key starts a new kernel now.
        let _again = kept.attach(notebook("a.ipynb")).await.unwrap();
        assert_ne!(kept.list().kernels[0].id, culled);
        assert_eq!(live.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn activity_while_detached_postpones_the_cull() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        run_and_leave(&kept, "later 50").await;
        // The output at 50 s counts as activity: at 100 s the kernel is still there.
        tokio::time::sleep(Duration::from_secs(100)).await;
        settle().await;
        assert_eq!(kept.list().kernels.len(), 1);
        tokio::time::sleep(Duration::from_secs(15)).await;
        settle().await;
        assert!(kept.list().kernels.is_empty());
        assert_eq!(live.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_moved_notebook_takes_its_kernel_along() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let _a = open(&kept, notebook("dir/a.ipynb")).await;
        let _b = open(&kept, notebook("dir2/b.ipynb")).await;
        let _c = open(&kept, notebook("dirt.ipynb")).await;
        let _taken = open(&kept, notebook("new/a.ipynb")).await;
        kept.notebook_moved("dir", "moved");
        kept.notebook_moved("dir2/b.ipynb", "b.ipynb");
        kept.notebook_moved("moved/a.ipynb", "new/a.ipynb");
        let keys: Vec<_> = kept.list().kernels.into_iter().map(|k| k.key).collect();
        assert_eq!(
            keys,
            [
                notebook("moved/a.ipynb"),
                notebook("b.ipynb"),
                notebook("dirt.ipynb"),
                notebook("new/a.ipynb"),
            ]
        );
        // The new path finds the moved kernel.
        let back = kept.attach(notebook("b.ipynb")).await.unwrap();
        assert_eq!(back.attached.state, Some(KernelState::open()));
        assert_eq!(live.count(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_scratch_kernel_becomes_its_saved_notebooks() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let tab = Some(KernelKey::Tab { id: "t".into() });
        let scratch = open(&kept, tab.clone()).await;
        let _other = open(&kept, notebook("taken.ipynb")).await;
        let private = open(&kept, None).await;
        assert_eq!(
            kept.move_kernel(scratch.id, notebook("new.ipynb").unwrap()),
            Ok(())
        );
        assert!(kept
            .move_kernel(scratch.id, notebook("taken.ipynb").unwrap())
            .is_err());
        assert!(kept
            .move_kernel(private.id, notebook("x.ipynb").unwrap())
            .is_err());
        let keys: Vec<_> = kept.list().kernels.into_iter().map(|k| k.key).collect();
        assert_eq!(keys, [notebook("new.ipynb"), notebook("taken.ipynb"), None]);
        // The tab's key is free again; the notebook's finds the moved kernel.
        assert_eq!(
            kept.attach(notebook("new.ipynb")).await.unwrap().id,
            scratch.id
        );
        assert_ne!(kept.attach(tab).await.unwrap().id, scratch.id);
    }

    #[tokio::test(start_paused = true)]
    async fn a_private_kernel_ends_with_its_session() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let first = open(&kept, None).await;
        let second = open(&kept, None).await;
        assert_eq!(live.count(), 2, "private kernels are not shared");
        assert_eq!(kept.list().kernels[0].key, None);
        drop(first);
        settle().await;
        assert_eq!(kept.list().kernels.len(), 1);
        assert_eq!(live.count(), 1);
        drop(second);
        settle().await;
        assert_eq!(live.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_private_kernel_ends_even_with_commands_left_in_its_queue() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let mut only = open(&kept, None).await;
        // Commands sent right before the session went: the host still has them queued when
        // it learns of the detach.
        for n in 0..5 {
            run(&mut only.attachment, &format!("c{n}"), "x").await;
        }
        drop(only);
        settle().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        settle().await;
        assert!(kept.list().kernels.is_empty());
        assert_eq!(live.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_stops_reading_is_let_go_and_the_others_go_on() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let mut reading = open(&kept, notebook("a.ipynb")).await;
        let mut stuck = open(&kept, notebook("a.ipynb")).await;
        let started = tokio::time::Instant::now();
        // Each cell makes two relays; the stuck session's queue holds 64.
        for n in 0..40 {
            run(&mut reading.attachment, &format!("c{n}"), "x").await;
            assert!(matches!(
                next(&mut reading.attachment).await,
                ServerMsg::Executed { .. }
            ));
            assert!(matches!(
                next(&mut reading.attachment).await,
                ServerMsg::Output { .. }
            ));
        }
        assert!(
            started.elapsed() >= host::SLOW_SESSION,
            "it waited for the stuck one first"
        );
        assert_eq!(kept.list().kernels[0].attached, 1);
        // The stuck one gets what was queued, then its end.
        let mut queued = 0;
        while stuck.attachment.relays.recv().await.is_some() {
            queued += 1;
        }
        assert_eq!(queued, 64);
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_cap_a_key_gets_a_private_kernel_with_a_notice() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let mut held = Vec::new();
        for name in ["a", "b", "c", "d"] {
            let joined = open(&kept, notebook(name)).await;
            assert!(joined.notice.is_none());
            held.push(joined);
        }
        let e = open(&kept, notebook("e")).await;
        assert!(e.notice.is_some());
        let keys: Vec<_> = kept.list().kernels.into_iter().map(|k| k.key).collect();
        let wanted = ["a", "b", "c", "d"].map(notebook);
        assert_eq!(keys[..4], wanted);
        assert_eq!(keys[4], None);
    }

    #[tokio::test(start_paused = true)]
    async fn shutting_down_ends_the_kernel_and_attached_sessions_see_it_closed() {
        let live = Live::default();
        let kept = registry(&live, 1 << 20);
        let mut first = open(&kept, notebook("a.ipynb")).await;
        let id = kept.list().kernels[0].id;
        assert!(kept.shut_down(id).await);
        let closed = next(&mut first.attachment).await;
        assert!(
            matches!(&closed, ServerMsg::Kernel { state: KernelState::Closed { reason, .. } } if reason.contains("running kernels")),
            "{closed:?}"
        );
        settle().await;
        assert_eq!(live.count(), 0);
        // Still attached, the session may start it again by running a cell.
        run(&mut first.attachment, "c1", "x").await;
        assert_eq!(
            next(&mut first.attachment).await,
            ServerMsg::Kernel {
                state: KernelState::open()
            }
        );
        drop(first);
        settle().await;
        // Without sessions, shutting down forgets it at once.
        let id = kept.list().kernels[0].id;
        assert!(kept.shut_down(id).await);
        assert!(kept.list().kernels.is_empty());
        settle().await;
        assert_eq!(live.count(), 0);
        assert!(!kept.shut_down(id).await, "an unknown id");
    }
}

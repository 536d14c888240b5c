//! Tasks: client work other than HTTP requests that an instance's workers serve — today a
//! connection's handshake, a message on its sender's instance, a published message's delivery.
//!
//! A task waits in its instance's second line (`Instance::tasks`); `service::fill_workers` hands
//! a free worker whichever of that line and the request queue has waited longer. Its life is the
//! same for every kind, and lives here: enqueued, started (slowed by warm-up and gray failure
//! like a request), done, or killed with its instance. What a kind *means* — a connection
//! opening, a message reaching its room — is its workload's business, called from the three
//! points below. A new kind of client work is a new `TaskKind` and its handlers; the request path
//! does not change.

use super::*;
use crate::model::ids::{ConnRef, MsgRef, TaskRef};

/// Work other than a request, held by an instance.
pub(crate) struct Task {
    instance: InstanceId,
    /// When it began to wait: the line is served oldest first.
    pub(super) enqueued: SimTime,
    /// Worker time, before the instance's slowdowns.
    work: SimDuration,
    pub(super) kind: TaskKind,
}

impl Task {
    pub(super) fn new(
        instance: InstanceId,
        enqueued: SimTime,
        work: SimDuration,
        kind: TaskKind,
    ) -> Self {
        Task {
            instance,
            enqueued,
            work,
            kind,
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum TaskKind {
    /// Accepting a connection's upgrade.
    Handshake {
        user: ConnRef,
        started: SimTime,
        counted: bool,
        /// False once the client gave up (timeout, or its user left).
        waiting: bool,
    },
    /// A message handled by its sender's instance.
    Message(MsgRef),
    /// A published message reaching another instance.
    Delivery(MsgRef),
}

impl Slab<Task> {
    /// Inserts `task`, listed among what its instance holds, and returns its reference.
    pub(super) fn insert_held(&mut self, instances: &mut Fleet, task: Task) -> TaskRef {
        let id = task.instance;
        let (slot, generation) = self.insert(task);
        self.link(&mut instances[id].extra_mut().held, slot);
        TaskRef { slot, generation }
    }

    /// Removes live task `task` from the slab and from its instance's list.
    pub(super) fn remove_held(&mut self, instances: &mut Fleet, task: TaskRef) -> Option<Task> {
        let id = self.get(task.slot, task.generation)?.instance;
        self.unlink(&mut instances[id].extra_mut().held, task.slot);
        self.remove(task.slot, task.generation)
    }

    /// When `task` began to wait.
    pub(super) fn enqueued(&self, task: TaskRef) -> Option<SimTime> {
        self.get(task.slot, task.generation).map(|t| t.enqueued)
    }
}

impl Simulation<'_> {
    /// Puts `task` (`work` of worker time) on `id`: a free worker takes it at once, else it
    /// waits in line. Tasks are never refused here: whoever creates one has admitted it.
    pub(super) fn enqueue_task(&mut self, id: InstanceId, task: TaskRef, work: SimDuration) {
        self.recorder.offered(work);
        let inst = &mut self.instances[id];
        if inst.busy < inst.workers {
            self.start_task(id, task);
        } else {
            inst.extra_mut().tasks.push_back(task);
        }
    }

    /// A worker of `id` takes `task`.
    pub(super) fn start_task(&mut self, id: InstanceId, task: TaskRef) {
        let now = self.now;
        let Some(t) = self.tasks.get(task.slot, task.generation) else {
            return;
        };
        let mut work =
            self.instances[id].service_time(t.work, now, self.scenario.instances.warmup.slowdown);
        if let TaskKind::Handshake {
            user,
            counted,
            waiting: true,
            ..
        } = t.kind
        {
            match self.handshake_starts(id, task, user, counted) {
                Some(extra) => work = work + extra,
                None => return self.fill_workers(id),
            }
        }
        self.take_worker(id);
        self.queue.push(now + work, Event::TaskDone(task));
    }

    /// A worker finishes `task`.
    pub(super) fn task_done(&mut self, task: TaskRef) {
        let Some(t) = self.tasks.remove_held(&mut self.instances, task) else {
            return; // its instance stopped meanwhile
        };
        let id = t.instance;
        self.release_worker(id);
        match t.kind {
            TaskKind::Handshake {
                user,
                started,
                counted,
                waiting,
            } => self.handshake_done(id, user, started, counted, waiting),
            TaskKind::Message(msg) => self.message_handled(msg),
            TaskKind::Delivery(msg) => self.delivery_done(msg, id),
        }
        self.fill_workers(id);
        self.finish_drain_if_empty(id);
    }

    /// `id` stops: every task it holds, waiting or in service, dies with it. Costs what `id`
    /// holds, not a scan of every task.
    pub(super) fn stop_tasks(&mut self, id: InstanceId) {
        let Some(extra) = self.instances[id].extra.as_deref_mut() else {
            return; // it never held a task
        };
        let mut doomed: Vec<TaskRef> = self
            .tasks
            .chain(extra.held)
            .map(|(slot, generation, _)| TaskRef { slot, generation })
            .collect();
        if doomed.is_empty() {
            return;
        }
        self.tasks.unlink_all(&mut extra.held);
        extra.tasks.clear();
        // Slot order: the same order whatever the line's order was.
        doomed.sort_unstable_by_key(|t| t.slot);
        debug_assert_eq!(
            doomed,
            self.tasks
                .iter()
                .filter(|(_, _, t)| t.instance == id)
                .map(|(slot, generation, _)| TaskRef { slot, generation })
                .collect::<Vec<_>>(),
            "the list of what {id:?} holds is every task of {id:?}"
        );
        for task in doomed {
            if let Some(t) = self.tasks.remove(task.slot, task.generation) {
                self.task_killed(id, t.kind);
            }
        }
    }
}

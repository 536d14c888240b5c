//! Typed indices into the model's component vectors (no references between components).

use std::num::NonZeroU32;

/// An instance, by launch order. Ids are never reused: a replacement is a new instance.
///
/// The launch number is stored complemented in a `NonZeroU32`, so that `Option<InstanceId>`
/// (a session's pin, its state's home, …) takes 4 bytes, not 8; launch number `u32::MAX` is
/// therefore not an id, and the fleet launches fewer instances than that.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct InstanceId(NonZeroU32);

impl InstanceId {
    /// The instance launched `n`-th (from 0). `n` must be below `u32::MAX`.
    #[inline]
    pub(crate) const fn new(n: u32) -> Self {
        match NonZeroU32::new(!n) {
            Some(v) => InstanceId(v),
            None => panic!("instance launch numbers stop below u32::MAX"),
        }
    }

    /// Its launch number.
    #[inline]
    pub(crate) const fn get(self) -> u32 {
        !self.0.get()
    }

    #[inline]
    pub(crate) const fn index(self) -> usize {
        self.get() as usize
    }
}

impl Ord for InstanceId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.get().cmp(&other.get())
    }
}

impl PartialOrd for InstanceId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("InstanceId").field(&self.get()).finish()
    }
}

/// A slot in the session table. Slots are reused once a session ends; `SessionRef` tells
/// incarnations apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SessionRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A slot in the request table, with the incarnation it refers to, so that a stale event (a
/// timeout for a request that already completed) is recognised and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A slot in the connection table: one user of a long-lived connection, across its reconnects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A slot in the task table: work other than an HTTP request waiting for or held by a worker
/// (a handshake, a message, a delivery).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A slot in the job table: a background job, from its enqueue to its end. A job handed out
/// again after its worker died gets a new handle, so the dead worker's completion is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JobRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A slot in the message table: a message on its way to its room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MsgRef {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

//! Typed indices into the model's component vectors (no references between components).

/// An instance, by launch order. Ids are never reused: a replacement is a new instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct InstanceId(pub(crate) u32);

impl InstanceId {
    #[inline]
    pub(crate) fn index(self) -> usize {
        self.0 as usize
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

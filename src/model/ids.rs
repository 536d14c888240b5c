//! Typed indices into the model's component vectors (no references between components).

/// An instance, by launch order. Ids are never reused: a replacement is a new instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u32);

impl InstanceId {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A slot in the session table. Slots are reused once a session ends; `SessionRef` tells
/// incarnations apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRef {
    pub slot: u32,
    pub generation: u32,
}

/// A slot in the request table, with the incarnation it refers to, so that a stale event (a
/// timeout for a request that already completed) is recognised and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRef {
    pub slot: u32,
    pub generation: u32,
}

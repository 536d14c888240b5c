//! Files: some sessions upload one at their first request and read it back in later requests,
//! from the disk of the instance that took the upload or from a shared object store.
//!
//! ```text
//!   arrival: uploads? (the session's own file stream) ─► reads left ~ `reads`
//!   first request a worker takes ─► upload: local: the file is on this instance
//!                                           shared: + one object-store round trip
//!   the next `reads` requests a worker takes ─► read:
//!       shared ─► + round trip, found
//!       local, same instance ─► found
//!       local, other instance ─► fails `file_not_found` (holder up: elsewhere;
//!                                holder stopped: instance gone)
//! ```
//!
//! A session keeps its file as one instance id: ids are never reused, so whether that instance
//! still holds the file is read from its life, and nothing is done when it stops.

use super::*;
use crate::metrics::ReadFailure;
use crate::scenario::{FileStore, FilesConfig};

const FILE_STREAM: u64 = stream_key("files");

/// The file side of the fleet.
pub(crate) struct FileTier<'a> {
    config: &'a FilesConfig,
    /// The file streams: member 0 is the object store's round trips (`rng`), member `key + 1`
    /// the file plan of the session that arrived `key`-th.
    plans: Streams,
    reads: CountSampler,
    shared_latency: DurationSampler,
    /// Object-store round trips.
    rng: Rng,
    /// Per session slot, the file of the session there.
    files: SideTable<SessionFile>,
}

/// A session's file: whether it still has to upload, where its file is, reads left.
#[derive(Clone, Copy, Default)]
pub(crate) struct SessionFile {
    /// Its next request a worker takes is the upload.
    uploading: bool,
    /// Local: the instance that took the upload.
    at: Option<InstanceId>,
    /// Later requests that read the file.
    reads_left: u32,
}

impl<'a> FileTier<'a> {
    pub(super) fn new(config: &'a FilesConfig, seed: u64) -> Self {
        let plans = Streams::new(seed, FILE_STREAM);
        FileTier {
            config,
            plans,
            reads: CountSampler::new(&config.reads),
            shared_latency: DurationSampler::new(&config.shared_latency),
            rng: plans.member(0),
            files: SideTable::default(),
        }
    }

    /// Session `key` has arrived and taken session slot `slot`: its file plan.
    pub(super) fn arrived(&mut self, slot: u32, key: u64) {
        let plan = self.plan(key);
        self.files.start(slot, plan);
    }

    /// The file plan of session `key`, from its own stream: the same in every variant.
    fn plan(&self, key: u64) -> SessionFile {
        let mut rng = self.plans.member(key.wrapping_add(1));
        if rng.random::<f64>() < self.config.uploads {
            SessionFile {
                uploading: true,
                at: None,
                reads_left: self.reads.sample(&mut rng),
            }
        } else {
            SessionFile::default()
        }
    }
}

impl Simulation<'_> {
    /// The request of `sref` starting on `id` uploads or reads the session's file, if it does.
    /// Returns the time this adds (the shared store's round trip), or `FileNotFound`.
    pub(super) fn file_request(
        &mut self,
        sref: SessionRef,
        id: InstanceId,
        counted: bool,
    ) -> Result<SimDuration, Cause> {
        let Some(tier) = self.files.as_mut() else {
            return Ok(SimDuration::ZERO);
        };
        if self.sessions.get(sref.slot, sref.generation).is_none() {
            return Ok(SimDuration::ZERO);
        }
        let file = tier.files.get_mut(sref.slot);
        let shared = tier.config.store == FileStore::Shared;
        let recorder = self.job_recorder.as_mut().expect("files have a recorder");
        if file.uploading {
            file.uploading = false;
            file.at = Some(id);
            recorder.uploaded(counted);
        } else if file.reads_left > 0 {
            file.reads_left -= 1;
            let failure = match file.at {
                _ if shared => None,
                Some(at) if at == id => None,
                Some(at) if !self.instances.is_live(at) => Some(ReadFailure::InstanceGone),
                _ => Some(ReadFailure::Elsewhere),
            };
            recorder.read(counted, failure);
            if failure.is_some() {
                return Err(Cause::FileNotFound);
            }
        } else {
            return Ok(SimDuration::ZERO);
        }
        Ok(if shared {
            tier.shared_latency.sample(&mut tier.rng)
        } else {
            SimDuration::ZERO
        })
    }
}

//! A consistent-hash ring over the routable instances.
//!
//! Each instance owns `VNODES` points on a 64-bit ring; a key goes to the first point at or after
//! its hash. Removing an instance moves only the keys it owned, which is the point of consistent
//! hashing (and of source-IP affinity that survives a scale-out).

use crate::engine::random::mix64;
use crate::model::ids::InstanceId;

const VNODES: u64 = 64;

#[derive(Debug, Default)]
pub(crate) struct HashRing {
    points: Vec<(u64, InstanceId)>,
}

impl HashRing {
    pub(crate) fn rebuild(&mut self, members: &[InstanceId]) {
        self.points.clear();
        for &id in members {
            for v in 0..VNODES {
                self.points
                    .push((mix64((u64::from(id.get()) << 16) ^ v ^ 0x5EED), id));
            }
        }
        self.points.sort_unstable();
    }

    /// The owner of `key`, or `None` if the ring is empty.
    #[inline]
    pub(crate) fn lookup(&self, key: u64) -> Option<InstanceId> {
        let h = mix64(key);
        let i = self.points.partition_point(|&(p, _)| p < h);
        self.points
            .get(i)
            .or_else(|| self.points.first())
            .map(|&(_, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_a_member_moves_only_its_keys() {
        let all: Vec<InstanceId> = (0..5).map(InstanceId::new).collect();
        let mut ring = HashRing::default();
        ring.rebuild(&all);
        let before: Vec<_> = (0..10_000).map(|k| ring.lookup(k).unwrap()).collect();
        ring.rebuild(&[all[0], all[1], all[3], all[4]]);
        for (k, &owner) in before.iter().enumerate() {
            let now = ring.lookup(k as u64).unwrap();
            if owner != InstanceId::new(2) {
                assert_eq!(now, owner, "key {k} moved although its owner stayed");
            } else {
                assert_ne!(now, InstanceId::new(2));
            }
        }
        // Each of 5 members owns roughly a fifth of the keys.
        let share = before.iter().filter(|&&o| o == InstanceId::new(2)).count();
        assert!((1_200..2_800).contains(&share), "{share}");
    }

    #[test]
    fn empty_ring_has_no_owner() {
        assert_eq!(HashRing::default().lookup(42), None);
    }
}

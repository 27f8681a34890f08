//! The in-process store: buckets and quota counters in one map behind one lock, so a
//! request's buckets and quota are checked and charged together (a request refused by one
//! limit takes nothing from the others).
//!
//! Memory stays bounded whatever the number of keys: a bucket exists only once a key has
//! called, and the sweep that runs whenever the map has doubled forgets the buckets that
//! have refilled (a bucket seen anew is full, so forgetting a full one changes nothing) and
//! the counters of quota periods that have ended. What is left is what keys spent recently.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::bucket::Bucket;
use super::{BucketId, Charge, QuotaId, Verdict};

/// Below this many entries the map is never swept.
const SWEEP_FLOOR: usize = 1024;

#[derive(Debug)]
pub struct MemoryStore {
    epoch: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<BucketId, (Bucket, apigate_core::limits::Throttle)>,
    quotas: HashMap<QuotaId, Used>,
    /// Sweep when the map reaches this size.
    sweep_at: usize,
}

/// A key's requests in one quota period.
#[derive(Debug, Clone, Copy)]
struct Used {
    period: u64,
    count: u64,
    /// When the period ends (store clock, microseconds).
    ends: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            epoch: Instant::now(),
            state: Mutex::new(State {
                sweep_at: SWEEP_FLOOR,
                ..State::default()
            }),
        }
    }
}

impl MemoryStore {
    /// Checks and charges `charge` now.
    pub fn charge(&self, charge: &Charge) -> Verdict {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.charge_at(charge, now)
    }

    /// Checks and charges `charge` at `now` (microseconds on the store's clock).
    pub fn charge_at(&self, charge: &Charge, now: u64) -> Verdict {
        let mut state = self.lock();
        let state = &mut *state;
        for (id, throttle) in charge.buckets.iter().flatten() {
            let admits = state
                .buckets
                .get(id)
                .map_or_else(|| Bucket::full(throttle, now), |(b, _)| *b)
                .admits(throttle, now);
            if !admits {
                return Verdict::Throttled(*id);
            }
        }
        if let Some(q) = &charge.quota {
            let used = match state.quotas.get(&q.id) {
                Some(u) if u.period == q.period => u.count,
                _ => q.start,
            };
            if used >= q.limit {
                return Verdict::OverQuota;
            }
            state.quotas.insert(
                q.id,
                Used {
                    period: q.period,
                    count: used + 1,
                    ends: now.saturating_add(q.ttl_secs.saturating_mul(1_000_000)),
                },
            );
        }
        for (id, throttle) in charge.buckets.iter().flatten() {
            let bucket = state
                .buckets
                .get(id)
                .map_or_else(|| Bucket::full(throttle, now), |(b, _)| *b);
            state
                .buckets
                .insert(*id, (bucket.take(throttle, now), *throttle));
        }
        if state.buckets.len() + state.quotas.len() >= state.sweep_at {
            state.sweep(now);
        }
        Verdict::Admitted
    }

    /// Entries held (buckets and quota counters), for tests and diagnostics.
    pub fn len(&self) -> usize {
        let state = self.lock();
        state.buckets.len() + state.quotas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map inconsistent (every update is
        // one insert), so a poisoned lock is used as it is.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    /// Forgets full buckets and ended quota periods; the next sweep waits until the map has
    /// doubled again.
    fn sweep(&mut self, now: u64) {
        self.buckets.retain(|_, (b, t)| !b.is_full(t, now));
        self.quotas.retain(|_, u| u.ends > now);
        self.sweep_at = (2 * (self.buckets.len() + self.quotas.len())).max(SWEEP_FLOOR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::QuotaCharge;
    use apigate_core::limits::Throttle;

    const SECOND: u64 = 1_000_000;

    fn charge(buckets: [Option<(BucketId, Throttle)>; 2], quota: Option<QuotaCharge>) -> Charge {
        Charge { buckets, quota }
    }

    #[test]
    fn a_refusal_takes_nothing_from_the_other_limits() {
        let store = MemoryStore::default();
        let stage = (
            BucketId::Method(0),
            Throttle {
                rate: 0.0,
                burst: 5,
            },
        );
        let plan = (
            BucketId::Plan { plan: 0, key: 0 },
            Throttle {
                rate: 0.0,
                burst: 1,
            },
        );
        let c = charge([Some(stage), Some(plan)], None);
        assert_eq!(store.charge_at(&c, 0), Verdict::Admitted);
        assert_eq!(store.charge_at(&c, 0), Verdict::Throttled(plan.0));
        assert_eq!(store.charge_at(&c, 0), Verdict::Throttled(plan.0));
        // The stage bucket lost one token, not three: four more calls without the plan.
        let stage_only = charge([Some(stage), None], None);
        for _ in 0..4 {
            assert_eq!(store.charge_at(&stage_only, 0), Verdict::Admitted);
        }
        assert_eq!(store.charge_at(&stage_only, 0), Verdict::Throttled(stage.0));
    }

    #[test]
    fn quotas_count_per_period_from_their_start() {
        let store = MemoryStore::default();
        let id = QuotaId { plan: 0, key: 3 };
        let quota = |period, start| QuotaCharge {
            id,
            limit: 3,
            start,
            period,
            ttl_secs: 60,
        };
        // The first period starts with an offset of 1: two requests.
        for _ in 0..2 {
            assert_eq!(
                store.charge_at(&charge([None, None], Some(quota(7, 1))), 0),
                Verdict::Admitted
            );
        }
        assert_eq!(
            store.charge_at(&charge([None, None], Some(quota(7, 1))), 0),
            Verdict::OverQuota
        );
        // The next period: three.
        for _ in 0..3 {
            assert_eq!(
                store.charge_at(&charge([None, None], Some(quota(8, 0))), 0),
                Verdict::Admitted
            );
        }
        assert_eq!(
            store.charge_at(&charge([None, None], Some(quota(8, 0))), 0),
            Verdict::OverQuota
        );
        // A throttled request does not count toward the quota.
        let closed = (
            BucketId::Method(1),
            Throttle {
                rate: 0.0,
                burst: 0,
            },
        );
        let other = QuotaId { plan: 0, key: 4 };
        let q = QuotaCharge {
            id: other,
            limit: 1,
            start: 0,
            period: 8,
            ttl_secs: 60,
        };
        assert_eq!(
            store.charge_at(&charge([Some(closed), None], Some(q)), 0),
            Verdict::Throttled(closed.0)
        );
        assert_eq!(
            store.charge_at(&charge([None, None], Some(q)), 0),
            Verdict::Admitted
        );
    }

    #[test]
    fn memory_is_bounded_by_the_keys_that_called_recently() {
        let store = MemoryStore::default();
        let t = Throttle {
            rate: 10.0,
            burst: 10,
        };
        // 100,000 keys call once each, a second apart in groups: the map never holds more
        // than the buckets that have not refilled since (one second at 10/s).
        let mut peak = 0;
        for key in 0..100_000u32 {
            let now = u64::from(key / 1000) * SECOND;
            let c = charge([Some((BucketId::Plan { plan: 0, key }, t)), None], None);
            assert_eq!(store.charge_at(&c, now), Verdict::Admitted);
            peak = peak.max(store.len());
        }
        assert!(peak <= 2 * SWEEP_FLOOR + 2000, "peak {peak} entries");
        // Ended quota periods are forgotten too.
        for key in 0..5000u32 {
            let q = QuotaCharge {
                id: QuotaId { plan: 0, key },
                limit: 10,
                start: 0,
                period: 1,
                ttl_secs: 1,
            };
            store.charge_at(
                &charge([None, None], Some(q)),
                100 * SECOND + u64::from(key) * 1000,
            );
        }
        assert!(store.len() < 3000, "{} entries", store.len());
    }
}

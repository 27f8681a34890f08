//! The authorizer result cache: what a Lambda authorizer answered, kept for its
//! `authorizerResultTtlInSeconds` under the identity it was asked about (the TOKEN
//! authorizer's token, the REQUEST authorizer's identity-source values), so a second request
//! with the same identity within the TTL does not call the function. The cached *policy* is
//! evaluated against each request's own method ARN.
//!
//! Bounded: at most [`MAX_ENTRIES`] results; when full, expired entries are dropped first,
//! then the oldest. Time is passed in, so the behaviour is tested without waiting.

use prometheus_client::metrics::counter::Counter;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most results kept at once (across every authorizer of the API).
pub const MAX_ENTRIES: usize = 10_000;

/// The cache key: the authorizer's name and the identity values, in identity-source order.
pub type Key = (String, Vec<String>);

#[derive(Debug)]
struct Entry<V> {
    value: V,
    expires: Instant,
}

#[derive(Debug)]
struct Inner<V> {
    entries: HashMap<Key, Entry<V>>,
    /// Keys in insertion order (a key re-inserted appears again; stale positions are skipped).
    order: VecDeque<Key>,
}

/// A bounded cache of values with a time to live.
#[derive(Debug)]
pub struct ResultCache<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
    /// Lookups answered from the cache, and those that were not (the metrics'
    /// `apigate_authorizer_cache_hits_total` and `…_misses_total` when serve shares them).
    pub hits: Counter,
    pub misses: Counter,
}

impl<V: Clone> Default for ResultCache<V> {
    fn default() -> Self {
        ResultCache::with_capacity(MAX_ENTRIES)
    }
}

impl<V: Clone> ResultCache<V> {
    pub fn with_capacity(capacity: usize) -> ResultCache<V> {
        ResultCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity: capacity.max(1),
            hits: Counter::default(),
            misses: Counter::default(),
        }
    }

    /// The value cached under `key`, unless it expired by `now`.
    pub fn get(&self, key: &Key, now: Instant) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let found = match inner.entries.get(key) {
            Some(e) if e.expires > now => Some(e.value.clone()),
            Some(_) => {
                inner.entries.remove(key);
                None
            }
            None => None,
        };
        match &found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        };
        found
    }

    /// Keeps `value` under `key` for `ttl` from `now` (a zero TTL keeps nothing).
    pub fn insert(&self, key: Key, value: V, ttl: Duration, now: Instant) {
        if ttl.is_zero() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.entries.contains_key(&key) && inner.entries.len() >= self.capacity {
            inner.entries.retain(|_, e| e.expires > now);
            let Inner { entries, order } = &mut *inner;
            order.retain(|k| entries.contains_key(k));
            while entries.len() >= self.capacity {
                let Some(oldest) = order.pop_front() else {
                    break;
                };
                entries.remove(&oldest);
            }
        }
        let expires = now.checked_add(ttl).unwrap_or(now);
        inner.entries.insert(key.clone(), Entry { value, expires });
        inner.order.push_back(key);
        // Re-inserted keys leave stale positions behind; keep the queue near the map's size.
        if inner.order.len() > self.capacity.saturating_mul(2) {
            let Inner { entries, order } = &mut *inner;
            let mut seen = std::collections::HashSet::new();
            let mut kept: VecDeque<Key> = order
                .iter()
                .rev()
                .filter(|k| entries.contains_key(*k) && seen.insert((*k).clone()))
                .cloned()
                .collect();
            kept.make_contiguous().reverse();
            *order = kept;
        }
    }

    /// How many values are held (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        ("auth".to_string(), vec![s.to_string()])
    }

    #[test]
    fn values_live_for_their_ttl() {
        let cache = ResultCache::default();
        let t0 = Instant::now();
        cache.insert(key("a"), 1, Duration::from_secs(300), t0);
        assert_eq!(cache.get(&key("a"), t0 + Duration::from_secs(299)), Some(1));
        assert_eq!(cache.get(&key("b"), t0), None, "another identity");
        assert_eq!(cache.get(&key("a"), t0 + Duration::from_secs(300)), None);
        assert!(cache.is_empty(), "an expired value is dropped when seen");
        cache.insert(key("a"), 2, Duration::ZERO, t0);
        assert_eq!(cache.get(&key("a"), t0), None, "TTL 0 caches nothing");
    }

    #[test]
    fn keys_separate_authorizers_and_identity_lists() {
        let cache = ResultCache::default();
        let t0 = Instant::now();
        let ttl = Duration::from_secs(60);
        cache.insert(("x".into(), vec!["a,b".into()]), 1, ttl, t0);
        assert_eq!(
            cache.get(&("x".into(), vec!["a".into(), "b".into()]), t0),
            None
        );
        assert_eq!(cache.get(&("y".into(), vec!["a,b".into()]), t0), None);
    }

    #[test]
    fn a_full_cache_drops_expired_then_oldest() {
        let cache = ResultCache::with_capacity(3);
        let t0 = Instant::now();
        cache.insert(key("short"), 0, Duration::from_secs(1), t0);
        cache.insert(key("a"), 1, Duration::from_secs(60), t0);
        cache.insert(key("b"), 2, Duration::from_secs(60), t0);
        let t1 = t0 + Duration::from_secs(2);
        cache.insert(key("c"), 3, Duration::from_secs(60), t1);
        assert_eq!(cache.len(), 3);
        assert_eq!(
            cache.get(&key("a"), t1),
            Some(1),
            "the expired entry went first"
        );
        cache.insert(key("d"), 4, Duration::from_secs(60), t1);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&key("a"), t1), None, "then the oldest");
        assert_eq!(cache.get(&key("d"), t1), Some(4));
        // Re-inserting one key many times keeps the bookkeeping bounded.
        for i in 0..100 {
            cache.insert(key("d"), i, Duration::from_secs(60), t1);
        }
        assert_eq!(cache.get(&key("d"), t1), Some(99));
        assert!(cache.inner.lock().unwrap().order.len() <= 6);
    }
}

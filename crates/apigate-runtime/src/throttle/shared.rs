//! The shared store (`--state redis://HOST:PORT`): buckets and quota counters in Redis, so
//! every gateway pointed at the same Redis enforces one set of limits. One Lua script checks
//! and charges a request's buckets and quota atomically, on Redis's clock (`TIME`), so the
//! gateways' clocks do not matter for throttling. Buckets expire once they would be full
//! again, quota counters when their period ends: Redis holds what keys spent recently.
//!
//! When Redis cannot be reached (refused, timed out, an error reply), the gateway **fails
//! open to its own limits**: it logs one line, enforces the limits in-process
//! ([`MemoryStore`]) — so each gateway admits up to the whole limit on its own — and tries
//! Redis again a second later; when Redis answers again it logs that too. API keys are
//! checked as always (they never depend on Redis). Throttles and quotas are "targets rather
//! than guaranteed request ceilings" on AWS too (developer guide, request throttling); an
//! unreachable counter store should not take the API down with it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;

use super::memory::MemoryStore;
use super::{BucketId, Charge, Names, QuotaId, Verdict};

/// Longest a Redis call (or a connection attempt) may take before the store counts Redis
/// as unreachable.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How long the store keeps to its own limits after Redis failed, before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Checks every bucket (KEYS[1..n]: rate, burst in ARGV), then the quota (KEYS[n+1] when
/// ARGV's limit is not -1); charges all or nothing. Returns {0, 0} admitted, {1, i} throttled
/// by bucket i, {2, 0} over quota.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local levels = {}
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then
    tokens = burst
    at = now
  end
  local elapsed = now - at
  if elapsed < 0 then elapsed = 0 end
  local level = math.min(burst, tokens + elapsed * rate / 1000000)
  if level < 1 then
    return {1, i}
  end
  levels[i] = level
end
local q = 2 * n + 2
local limit = tonumber(ARGV[q])
local quota_key = KEYS[n + 1]
local used = 0
if limit >= 0 then
  used = tonumber(redis.call('GET', quota_key))
  if used == nil then used = tonumber(ARGV[q + 2]) end
  if used >= limit then
    return {2, 0}
  end
end
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local left = levels[i] - 1
  redis.call('HSET', KEYS[i], 'tokens', string.format('%.6f', left), 'at', now)
  local full_in = 86400000
  if rate > 0 then
    full_in = math.ceil((burst - left) * 1000 / rate) + 1000
  end
  redis.call('PEXPIRE', KEYS[i], full_in)
end
if limit >= 0 then
  redis.call('SET', quota_key, used + 1, 'EX', ARGV[q + 1])
end
return {0, 0}
";

#[derive(Debug)]
pub struct RedisStore {
    client: redis::Client,
    url: String,
    connection: RwLock<Option<MultiplexedConnection>>,
    connecting: tokio::sync::Mutex<()>,
    script: redis::Script,
    prefix: String,
    /// The limits enforced while Redis cannot be reached.
    fallback: MemoryStore,
    epoch: Instant,
    /// Until when (microseconds on `epoch`) the fallback is used without trying Redis.
    down_until: AtomicU64,
    /// An outage was logged and its end not yet.
    down: AtomicBool,
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://HOST:PORT[/DB]`), its keys under `prefix`.
    /// Only the URL is checked here; the connection is made on first use (and remade after
    /// a failure), so a gateway starts while Redis is down.
    pub fn new(url: &str, prefix: String) -> Result<RedisStore, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--state {url}: {e}"))?;
        Ok(RedisStore {
            client,
            url: url.to_string(),
            connection: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(()),
            script: redis::Script::new(SCRIPT),
            prefix,
            fallback: MemoryStore::default(),
            epoch: Instant::now(),
            down_until: AtomicU64::new(0),
            down: AtomicBool::new(false),
        })
    }

    /// Whether Redis answers (a PING), connecting if need be; the outage is logged as in
    /// [`RedisStore::charge`].
    pub async fn ping(&self) -> bool {
        match self.connection().await {
            Ok(mut c) => {
                let pong: redis::RedisResult<String> =
                    match tokio::time::timeout(TIMEOUT, redis::cmd("PING").query_async(&mut c))
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => Err(timed_out()),
                    };
                match pong {
                    Ok(_) => {
                        self.recovered();
                        true
                    }
                    Err(e) => {
                        self.failed(&e);
                        false
                    }
                }
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    /// Sets `key` to `value` unless it is set, and returns what it holds (the first
    /// gateway's value wins); `None` when Redis cannot be reached.
    pub async fn set_once(&self, key: &str, value: u64) -> Option<u64> {
        let mut c = self.connection().await.ok()?;
        let full = format!("{}{key}", self.prefix);
        let script = redis::Script::new(
            "redis.call('SET', KEYS[1], ARGV[1], 'NX') return redis.call('GET', KEYS[1])",
        );
        let answer: redis::RedisResult<String> =
            tokio::time::timeout(TIMEOUT, script.key(&full).arg(value).invoke_async(&mut c))
                .await
                .unwrap_or_else(|_| Err(timed_out()));
        answer.ok()?.parse().ok()
    }

    /// Checks and charges `charge` (its slots named by `names`): in Redis, or in-process
    /// while Redis cannot be reached.
    pub async fn charge(&self, charge: &Charge, names: &Names) -> Verdict {
        if self.now() < self.down_until.load(Ordering::Relaxed) {
            return self.fallback.charge(charge);
        }
        match self.charge_in_redis(charge, names).await {
            Ok(verdict) => {
                self.recovered();
                verdict
            }
            Err(e) => {
                self.failed(&e);
                self.fallback.charge(charge)
            }
        }
    }

    async fn charge_in_redis(&self, charge: &Charge, names: &Names) -> redis::RedisResult<Verdict> {
        let mut connection = self.connection().await?;
        let mut invocation = self.script.prepare_invoke();
        let buckets: Vec<_> = charge.buckets.iter().flatten().collect();
        invocation.arg(buckets.len());
        for (id, throttle) in &buckets {
            invocation.key(self.bucket_key(id, names));
            invocation.arg(throttle.rate).arg(throttle.burst);
        }
        match &charge.quota {
            Some(q) => {
                invocation.key(self.quota_key(&q.id, q.period, names));
                invocation
                    .arg(q.limit)
                    .arg(q.ttl_secs.saturating_add(60))
                    .arg(q.start);
            }
            None => {
                invocation.key(format!("{}unused", self.prefix));
                invocation.arg(-1).arg(0).arg(0);
            }
        }
        let answer: (u8, usize) =
            match tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection)).await {
                Ok(answer) => answer?,
                Err(_) => return Err(timed_out()),
            };
        Ok(match answer {
            (1, i) => buckets
                .get(i.saturating_sub(1))
                .map_or(Verdict::OverQuota, |(id, _)| Verdict::Throttled(*id)),
            (2, _) => Verdict::OverQuota,
            _ => Verdict::Admitted,
        })
    }

    /// The connection, made if there is none.
    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let c = match tokio::time::timeout(
            TIMEOUT * 2,
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await
        {
            Ok(c) => c?,
            Err(_) => return Err(timed_out()),
        };
        if let Ok(mut slot) = self.connection.write() {
            *slot = Some(c.clone());
        }
        Ok(c)
    }

    fn current(&self) -> Option<MultiplexedConnection> {
        self.connection.read().ok().and_then(|c| c.clone())
    }

    /// Redis failed: drop the connection, keep to the in-process limits for a while, and
    /// say so once per outage.
    fn failed(&self, e: &redis::RedisError) {
        if let Ok(mut slot) = self.connection.write() {
            *slot = None;
        }
        let retry = u64::try_from(RETRY_AFTER.as_micros()).unwrap_or(u64::MAX);
        self.down_until
            .store(self.now().saturating_add(retry), Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "shared limits: Redis at {} is unreachable ({e}); throttles and quotas are enforced by this gateway alone until it answers",
                self.url
            );
        }
    }

    fn recovered(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "shared limits: Redis at {} answers again; throttles and quotas are shared",
                self.url
            );
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn bucket_key(&self, id: &BucketId, names: &Names) -> String {
        let p = &self.prefix;
        let n = |slot| names.name(slot);
        match *id {
            BucketId::Method(m) => format!("{p}stage:{}", n(m)),
            BucketId::Plan { plan, key } => format!("{p}plan:{}:key:{}", n(plan), n(key)),
            BucketId::PlanMethod { plan, key, method } => {
                format!("{p}plan:{}:key:{}:method:{}", n(plan), n(key), n(method))
            }
        }
    }

    fn quota_key(&self, id: &QuotaId, period: u64, names: &Names) -> String {
        format!(
            "{}plan:{}:key:{}:quota:{period}",
            self.prefix,
            names.name(id.plan),
            names.name(id.key)
        )
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "no answer within 500 ms",
    ))
}

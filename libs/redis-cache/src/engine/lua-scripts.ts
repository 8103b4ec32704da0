/**
 * Lua scripts run atomically by Redis. They compare the envelope header with `string.match` (no cjson),
 * see `envelope.ts` for the format and `mayReplace` for the same rule in TypeScript (the memory tier).
 *
 * All keys a script touches are passed in KEYS, as Redis requires. On a Cluster a script touches one slot
 * only: tag keys are checked separately there (see `tiers/redis-store.ts#write`).
 */

/**
 * The rule both write scripts apply, as a Lua function: whether a write (`ver`, `mode` and `lease` as ARGV[2],
 * ARGV[4] and ARGV[5] of {@link WRITE_IF_NEWER}) may replace `cur`, what the key holds (`false` if nothing).
 */
const MAY_REPLACE = `
local function may_replace(cur, ver, mode, lease)
  if mode == '2' then
    if not cur or string.sub(cur, 1, #lease) ~= lease then return false end
    if ver == '' and string.sub(cur, 1, 5) == 'c2|T|' then return false end
  end
  if ver ~= '' and cur then
    local hk, held = string.match(cur, '^c2|([VNT])|(%d+)|')
    if held then
      local new, old = tonumber(ver), tonumber(held)
      if mode == '1' then
        if new < old then return false end
      elseif mode == '2' then
        if new < old or (new == old and hk ~= 'V') then return false end
      elseif new <= old then
        return false
      end
    end
  end
  return true
end
`;

/**
 * Set-if-newer, guarded for fills by their lease and by the tag generations.
 * KEYS[1] = entry key, KEYS[2..n] = tag generation keys.
 * ARGV[1] = envelope, ARGV[2] = version ('' = unversioned), ARGV[3] = PX ttl ms, ARGV[4] = '1' if tombstone,
 * '2' for a fill (may also replace a value of the *same* version, e.g. to renew it past its TTL), '0'
 * otherwise, ARGV[5] = a fill's lease: the header of what the key held when the fill's miss began (a stale
 * value, a tombstone, or the lease placeholder the miss put there), ARGV[6] = '1' to check tag generations,
 * ARGV[7..] = expected generations (one per tag key).
 *
 * - A fill lands only while the key still holds what it held when the load began: any write, delete,
 *   repair or eviction since (or a new Redis, which holds nothing) refuses it — Meta's memcache leases,
 *   without a second key. That is what makes an evicted tombstone harmless. An unversioned fill (a "not
 *   found") never replaces a tombstone: that would let an older versioned write land again.
 * - A tag generation that moved or is missing refuses the write (absence never reads as a match).
 * - Versions are compared whatever epoch the held entry was written in: an entry of another epoch is absent
 *   to readers, but its version was committed once, so it is never newer than the truth — and an instance
 *   that has not yet heard of a new epoch (its coordination record was evicted and re-created by a peer)
 *   must not put an older version over a newer one its peers wrote and acknowledged in the new epoch. The
 *   same holds for a tombstone against an unversioned fill.
 * Returns 1 if written, 0 if refused.
 */
export const WRITE_IF_NEWER = `${MAY_REPLACE}
if not may_replace(redis.call('GET', KEYS[1]), ARGV[2], ARGV[4], ARGV[5]) then return 0 end
if ARGV[6] == '1' then
  for i = 2, #KEYS do
    if redis.call('GET', KEYS[i]) ~= ARGV[5 + i] then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;

/**
 * {@link WRITE_IF_NEWER} for several keys without a tag check (the fills of one tick, see
 * `tiers/redis-store.ts#write`): KEYS = the n entry keys; ARGV[5(i-1)+1 .. 5i] = key i's envelope, version, PX
 * ttl, mode and lease (ARGV[1..5] of {@link WRITE_IF_NEWER}). Returns per key 1 (written), 0 (refused) or -1
 * (the key holds another type: refused, as `WRITE_IF_NEWER`'s GET would fail on it).
 */
export const WRITE_IF_NEWER_MANY = `${MAY_REPLACE}
local out = {}
for i = 1, #KEYS do
  local b = 5 * (i - 1)
  local cur = redis.pcall('GET', KEYS[i])
  if type(cur) == 'table' then
    out[i] = -1
  elseif may_replace(cur, ARGV[b + 2], ARGV[b + 4], ARGV[b + 5]) then
    redis.call('SET', KEYS[i], ARGV[b + 1], 'PX', ARGV[b + 3])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`;

/** Keys per call of a many-key script (`SET_MANY`, `*_MANY`): a larger batch goes as several, so one script never holds Redis for long. */
export const MAX_KEYS_PER_SCRIPT = 100;

/**
 * Plain writes of several keys in one command (`mset` on a single server): `SET KEYS[i] ARGV[i] PX ARGV[n + i]`
 * for each of the n keys. Only for what a plain write would `SET` anyway (unversioned, untagged, not a fill:
 * `WRITE_IF_NEWER` would compare nothing), so it is exactly those SETs, atomically. Returns n.
 */
export const SET_MANY = `
local n = #KEYS
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[i], 'PX', ARGV[n + i])
end
return n
`;

/**
 * A miss's read of KEYS[1]: its value, or — when it holds nothing — a fill's lease placeholder ARGV[1] put there
 * with PX ARGV[2] ms, and nil (see `load-coordinator.ts#fillLease`). One round trip where a GET and then a
 * `SET NX` took two; atomic, so the placeholder is placed exactly when the key held nothing.
 */
export const GET_OR_LEASE = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/**
 * {@link GET_OR_LEASE} for several keys (the misses of one tick): KEYS = the n keys, ARGV[i] = key i's
 * placeholder, ARGV[n + i] its PX ttl ms. Returns per key its value, `false` (nil: it held nothing and the
 * placeholder is there now) or 0 (it holds another type: nothing placed, as `GET_OR_LEASE`'s GET would fail).
 */
export const GET_OR_LEASE_MANY = `
local n = #KEYS
local out = {}
for i = 1, n do
  local v = redis.pcall('GET', KEYS[i])
  if type(v) == 'table' then
    out[i] = 0
  elseif v then
    out[i] = v
  else
    redis.call('SET', KEYS[i], ARGV[i], 'PX', ARGV[n + i])
    out[i] = false
  end
end
return out
`;

/**
 * The tag generations a fill loads under. KEYS = tag generation keys; ARGV[1] = PX ttl ms, ARGV[2..] = a fresh
 * random token per key. A missing generation (never bumped, expired, evicted, a new Redis) is created from
 * its token, so every entry written under it is checked against a value that exists: if that key is lost
 * later, the entry no longer matches. Returns the generations, in order.
 */
export const CAPTURE_TAGS = `
local out = {}
for i = 1, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if not g then
    g = ARGV[i + 1]
    redis.call('SET', KEYS[i], g, 'PX', ARGV[1])
  end
  out[i] = g
end
return out
`;

/**
 * Compare-and-delete: removes KEYS[1] only if it still holds ARGV[1], so dropping a corrupt or
 * tag-invalidated entry never removes a good value written meanwhile. Returns 1 if deleted.
 */
export const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('UNLINK', KEYS[1])
end
return 0
`;

/** INCRBY KEYS[1] by ARGV[1]; sets PX ARGV[2] when the key had no TTL (i.e. was just created). */
export const INCREMENT_WITH_TTL = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return v
`;

/** HSET KEYS[1] ARGV[1] ARGV[2]; sets PX ARGV[3] when the hash had no TTL. */
export const HASH_SET_WITH_TTL = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;

/** Type, string value (if a string) and PTTL of KEYS[1] in one round trip (for `exists` and `ttl`). */
export const INSPECT = `
local t = redis.call('TYPE', KEYS[1]).ok
local v = false
if t == 'string' then v = redis.call('GET', KEYS[1]) end
return { t, v, redis.call('PTTL', KEYS[1]) }
`;

/**
 * Invalidates tags: sets each generation KEYS[i] to a new random token ARGV[i + 1] with PX ARGV[1] ms.
 * Tokens, not counters: a generation that was lost and re-created can never repeat an old value.
 */
export const BUMP_TAGS = `
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1])
end
return #KEYS
`;

/**
 * Lua scripts run atomically by Redis. They compare the envelope header with `string.match` (no cjson),
 * see `envelope.ts` for the format and `mayReplace` for the same rule in TypeScript (the memory tier).
 *
 * All keys a script touches are passed in KEYS, as Redis requires; in a cluster the entry key and its tag
 * keys would need one hash slot (a `{…}` hash tag in the prefix) — not needed for a standalone server.
 */

/**
 * Set-if-newer with optional tag-generation check.
 * KEYS[1] = entry key, KEYS[2..n] = tag generation keys.
 * ARGV[1] = envelope, ARGV[2] = version ('' = unversioned), ARGV[3] = PX ttl ms, ARGV[4] = '1' if tombstone,
 * '2' for a fill (may also replace a value of the *same* version, e.g. to renew it past its TTL), '0' otherwise,
 * ARGV[5] = '1' to check tag generations, ARGV[6..] = expected generations (one per tag key).
 * Returns 1 if written, 0 if an entry with a newer version (or a bumped tag) made the write stale.
 */
export const WRITE_IF_NEWER = `
if ARGV[5] == '1' then
  for i = 2, #KEYS do
    local g = redis.call('GET', KEYS[i]) or '0'
    if g ~= ARGV[4 + i] then return 0 end
  end
end
if ARGV[2] ~= '' then
  local cur = redis.call('GET', KEYS[1])
  if cur then
    local hk, held = string.match(cur, '^c1|([VNT])|(%d+)|')
    if held then
      local new, old = tonumber(ARGV[2]), tonumber(held)
      if ARGV[4] == '1' then
        if new < old then return 0 end
      elseif ARGV[4] == '2' then
        if new < old or (new == old and hk ~= 'V') then return 0 end
      elseif new <= old then
        return 0
      end
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
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

/** Bumps each tag generation KEYS[i] and refreshes its TTL (ARGV[1] ms). */
export const BUMP_TAGS = `
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return #KEYS
`;

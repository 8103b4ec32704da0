/**
 * The coordination record of one key prefix, a Redis hash (see `coordinator.ts`):
 * - `epoch`: the keyspace epoch, a random token; entries of another epoch are absent.
 * - `run`: the identity of the Redis it was made on (`run_id`, plus on a Cluster every master's); a record
 *   found on a Redis with another identity (restarted, restored from a snapshot, a replica promoted) is
 *   replaced by a new epoch, and so is a record that is missing (flushed, evicted).
 * - `m:<instance>`: a member's last heartbeat, in Redis' clock (epoch ms), or `l<ms>` (left cleanly) or
 *   `x<ms>` (expired by its peers after its write window).
 * Scripts read Redis' clock with `TIME` (allowed: Redis 7 replicates scripts by their effects).
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * One heartbeat. KEYS[1] = coordination hash. ARGV[1] = bus channel ('' = none), ARGV[2] = instance id,
 * ARGV[3] = heartbeat message, ARGV[4] = deadline in Redis' clock (later than that the script does nothing,
 * so a heartbeat delayed in a frozen or slow link can never land late), ARGV[5] = extra identity (a Cluster's
 * masters), ARGV[6] = a fresh epoch token (used only if the epoch must change), ARGV[7] = age in ms past
 * which departure and expiry markers are pruned, ARGV[8] = '1' to publish sharded (SPUBLISH), ARGV[9] = '1'
 * for an observer (reads the record, starts an epoch if needed, but is no member: nothing else is written),
 * ARGV[10..] = pairs (member id, last heartbeat) the caller knows, re-added when the record lost them.
 * Returns `{0}` when it ran too late (nothing done) or the caller has left, else
 * `{now, epoch, rotated (0/1), fields of the hash, run_id known (0/1)}`. `INFO` is called with `pcall`: an
 * ACL that denies it (`-@dangerous`) leaves the run_id unknown — a restart that lost the record is still
 * seen, a restore from a snapshot is not — and the caller says so.
 */
export const HEARTBEAT = `${NOW}
if now > tonumber(ARGV[4]) then return {0} end
local mine = redis.call('HGET', KEYS[1], 'm:' .. ARGV[2])
if mine and string.sub(mine, 1, 1) == 'l' then return {0} end
local info = redis.pcall('INFO', 'server')
local runId = type(info) == 'string' and string.match(info, 'run_id:(%x+)') or ''
local run = runId .. ARGV[5]
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local rotated = 0
if not epoch or redis.call('HGET', KEYS[1], 'run') ~= run then
  redis.call('DEL', KEYS[1])
  epoch = ARGV[6]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'run', run)
  rotated = 1
end
local known = runId ~= '' and 1 or 0
if ARGV[9] == '1' then return {now, epoch, rotated, redis.call('HGETALL', KEYS[1]), known} end
for i = 10, #ARGV, 2 do
  local field = 'm:' .. ARGV[i]
  if redis.call('HEXISTS', KEYS[1], field) == 0 then redis.call('HSET', KEYS[1], field, ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], 'm:' .. ARGV[2], now)
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local mark = string.sub(all[i + 1], 1, 1)
  if string.sub(all[i], 1, 2) == 'm:' and (mark == 'l' or mark == 'x') and now - tonumber(string.sub(all[i + 1], 2)) > tonumber(ARGV[7]) then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
if ARGV[1] ~= '' then
  if ARGV[8] == '1' then redis.call('SPUBLISH', ARGV[1], ARGV[3]) else redis.call('PUBLISH', ARGV[1], ARGV[3]) end
end
return {now, epoch, rotated, all, known}
`;

/**
 * Expires a member that has been silent longer than its write window, and starts a new epoch, so that
 * whatever it may have acknowledged without reaching Redis can never be read. KEYS[1] = coordination hash.
 * ARGV[1] = member id, ARGV[2] = minimum silence in ms, ARGV[3] = a fresh epoch token, ARGV[4] = the epoch
 * the caller saw it silent in (a member is expired once, by whoever gets there first).
 * Returns `{1, new epoch}` when it expired it, `{0, current epoch or false}` otherwise.
 */
export const EXPIRE_MEMBER = `${NOW}
local field = 'm:' .. ARGV[1]
local seen = tonumber(redis.call('HGET', KEYS[1], field) or '')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if seen and now - seen > tonumber(ARGV[2]) and epoch == ARGV[4] then
  redis.call('HSET', KEYS[1], field, 'x' .. now, 'epoch', ARGV[3])
  return {1, ARGV[3]}
end
return {0, epoch or false}
`;

/**
 * A clean departure: the member is marked as left (its later heartbeats can no longer bring it back) and
 * says goodbye on the bus. KEYS[1] = coordination hash; ARGV[1] = member id, ARGV[2] = channel ('' = none),
 * ARGV[3] = goodbye message, ARGV[4] = '1' to publish sharded.
 */
export const LEAVE = `${NOW}
redis.call('HSET', KEYS[1], 'm:' .. ARGV[1], 'l' .. now)
if ARGV[2] ~= '' then
  if ARGV[4] == '1' then redis.call('SPUBLISH', ARGV[2], ARGV[3]) else redis.call('PUBLISH', ARGV[2], ARGV[3]) end
end
return 1
`;

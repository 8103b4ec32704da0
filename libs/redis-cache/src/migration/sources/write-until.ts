/**
 * Writes a legacy entry with the time left until `expiresAt` as its TTL (no TTL when `expiresAt` is
 * undefined); an expiry already past deletes the key instead. Shared by the adapters over stores whose
 * `set` takes a TTL in milliseconds (Keyv, cache-manager).
 */
export async function writeUntil(
  expiresAt: number | undefined,
  write: (ttlMs?: number) => Promise<unknown>,
  remove: () => Promise<unknown>,
): Promise<void> {
  if (expiresAt === undefined) {
    await write();
    return;
  }
  const ttlMs = expiresAt - Date.now();
  if (ttlMs <= 0) await remove();
  else await write(ttlMs);
}

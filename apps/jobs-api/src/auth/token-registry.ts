import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app-config.types.js';
import { LOCAL_CLIENT_ID } from '../config/app-config.types.js';
import type { Principal } from './principal.types.js';

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Resolves bearer tokens to principals in constant time: both sides are hashed to 32 bytes (so lengths never
 * differ) and every entry is compared, whether or not an earlier one matched.
 */
export class TokenRegistry {
  private readonly entries: readonly Entry[];

  constructor(private readonly auth: AppConfig['auth']) {
    const entries: Entry[] = auth.clients.map((c) => ({ digest: digest(c.token), principal: { kind: 'client', clientId: c.clientId } }));
    if (auth.adminToken !== undefined) entries.push({ digest: digest(auth.adminToken), principal: { kind: 'admin' } });
    this.entries = entries;
  }

  /** Whether tokens are required at all. */
  get enabled(): boolean {
    return this.auth.enabled;
  }

  /** The principal every caller gets while auth is off. */
  static readonly anonymousAdmin: Principal = { kind: 'admin', defaultClientId: LOCAL_CLIENT_ID };

  /**
   * The principal of a request's `Authorization` header: everyone is the anonymous admin while auth is
   * off; otherwise the owner of a valid `Bearer` token, or `undefined`. The one rule the guard and the
   * poll's fast path share.
   */
  principalOf(authorization: string | string[] | undefined): Principal | undefined {
    if (!this.enabled) return TokenRegistry.anonymousAdmin;
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    return match ? this.resolve(match[1]) : undefined;
  }

  /** The principal owning `token`, or `undefined` when no entry matches. */
  resolve(token: string): Principal | undefined {
    const candidate = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(candidate, entry.digest) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

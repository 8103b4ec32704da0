import { describe, expect, it } from '@jest/globals';
import { TokenRegistry } from './token-registry.js';

describe('TokenRegistry', () => {
  const registry = new TokenRegistry({
    enabled: true,
    adminToken: 'admin-token-0123456789',
    clients: [{ token: 'client-a-token-123456', clientId: 'acme' }],
  });

  it('resolves the admin and client tokens', () => {
    expect(registry.resolve('admin-token-0123456789')).toEqual({ kind: 'admin' });
    expect(registry.resolve('client-a-token-123456')).toEqual({ kind: 'client', clientId: 'acme' });
  });

  it.each(['', 'admin-token-012345678', 'admin-token-01234567890', 'ADMIN-TOKEN-0123456789', 'client-a-token-123456 '])(
    'rejects %j',
    (token) => {
      expect(registry.resolve(token)).toBeUndefined();
    },
  );
});

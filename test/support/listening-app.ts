import { type AppHarness, type HarnessOptions, startApp, TOKENS } from './app-harness.js';
import { HttpClient } from './http-load.js';

/** An app harness that also listens on a loopback port, with a keep-alive client for load. */
export interface ListeningApp extends AppHarness {
  readonly baseUrl: string;
  readonly client: HttpClient;
}

/**
 * Boots the real app ({@link startApp}) and listens on a free loopback port: load runs over real sockets
 * (supertest would open a server per request).
 */
export async function startListeningApp(options: HarnessOptions = {}, maxSockets = 256): Promise<ListeningApp> {
  const h = await startApp(options);
  try {
    await h.app.listen(0, '127.0.0.1');
  } catch (error) {
    await h.close();
    throw error;
  }
  const address = h.app.getHttpServer().address();
  if (address === null || typeof address !== 'object') throw new Error('app has no address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const client = new HttpClient(baseUrl, maxSockets);
  return Object.assign(Object.create(null), h, {
    baseUrl,
    client,
    http: () => h.http(),
    close: async () => {
      client.close();
      await h.close();
    },
  }) as ListeningApp;
}

/** `Authorization` header value for a harness token. */
export function auth(who: keyof typeof TOKENS): Record<string, string> {
  return { authorization: `Bearer ${TOKENS[who]}` };
}

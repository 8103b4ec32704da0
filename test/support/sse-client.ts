import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One event as received, with when. */
export interface ReceivedEvent extends EventSourceMessage {
  at: number;
}

/**
 * An event stream read with `fetch` (which, unlike `EventSource`, sends an `Authorization` header), parsed by
 * `eventsource-parser` — the parser the page uses. Collects every event and comment until it ends or is closed.
 */
export class SseClient {
  readonly events: ReceivedEvent[] = [];
  readonly comments: string[] = [];
  /** Set once the server ended the stream (or the read failed: then `error` is set too). */
  ended = false;
  error?: unknown;
  private constructor(readonly status: number, readonly headers: Headers, readonly body: string, private readonly abort: AbortController) {}

  /** Opens `url`; a non-200 answer is returned with its body and not read further. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (response.status !== 200) {
      const client = new SseClient(response.status, response.headers, await response.text(), abort);
      client.ended = true;
      return client;
    }
    const client = new SseClient(200, response.headers, '', abort);
    void client.read(response.body!);
    return client;
  }

  /** The `job` events' versions, in arrival order. */
  get versions(): number[] {
    return this.events.filter((e) => e.event === 'job').map((e) => Number(e.id));
  }

  /** Closes the connection from this side. */
  close(): void {
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = createParser({
      onEvent: (event) => this.events.push({ ...event, at: performance.now() }),
      onComment: (comment) => this.comments.push(comment),
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      if (!this.abort.signal.aborted) this.error = error;
    } finally {
      this.ended = true;
    }
  }
}

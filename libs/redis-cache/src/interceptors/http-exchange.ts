import type { HttpAdapterHost } from '@nestjs/core';
import { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';

interface RawRequest {
  method?: string;
  headers?: Record<string, string | string[] | undefined>;
}

interface RawResponse {
  statusCode?: number;
  getHeader?(name: string): unknown;
}

/**
 * One request/response pair seen through the app's HTTP adapter, so the interceptor reads and writes the
 * same way on Express and Fastify (`getHeader`, `setHeader` and `status` are adapter methods).
 */
export class HttpExchange {
  constructor(
    private readonly host: HttpAdapterHost,
    /** The raw request (Express `Request` or Fastify `FastifyRequest`). */
    readonly request: RawRequest,
    private readonly response: RawResponse,
  ) {}

  /** Upper-case request method. */
  method(): string {
    return String(this.host.httpAdapter.getRequestMethod?.(this.request) ?? this.request.method ?? '').toUpperCase();
  }

  /** Path and query as the client sent them. */
  url(): string {
    return String(this.host.httpAdapter.getRequestUrl?.(this.request) ?? '/');
  }

  /** A request header (lower-case name). */
  requestHeader(name: string): string | string[] | undefined {
    return this.request.headers?.[name];
  }

  /** A response header set so far (by `@Header()`, a middleware or the handler). */
  responseHeader(name: string): unknown {
    return this.response.getHeader?.(name);
  }

  /** The response status set so far (`@HttpCode()` or the method's default). */
  statusCode(): number | undefined {
    return this.response.statusCode;
  }

  /** Sets a response header. */
  setHeader(name: string, value: string): void {
    this.host.httpAdapter.setHeader(this.response, name, value);
  }

  /** Sets the response status. */
  setStatus(code: number): void {
    this.host.httpAdapter.status(this.response, code);
  }
}

/**
 * Whether a body can be stored as JSON and sent back identically: `null`, strings, finite numbers, booleans,
 * plain objects and arrays. Streams, buffers, files and class instances (whose serialisation may depend on an
 * interceptor such as `ClassSerializerInterceptor`) are not cached.
 */
export function isStorableBody(body: unknown): boolean {
  if (body === null || typeof body === 'string' || typeof body === 'boolean') return true;
  if (typeof body === 'number') return Number.isFinite(body);
  if (typeof body !== 'object' || body instanceof Readable || body instanceof StreamableFile || Buffer.isBuffer(body)) return false;
  const proto = Object.getPrototypeOf(body) as unknown;
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

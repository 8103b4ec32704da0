import { Controller, Get, Header, Headers, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { type PageDocument, type PageFile, readPageDocument, readPageFiles } from './page-files.js';

/**
 * `GET /`: the page (live job progress, a create form, the cache panel), and `GET /ui/…`: its scripts, styles,
 * the charting library and the event-stream parser. Public: these are static files holding no data; every API call the page makes
 * carries the bearer token the user enters (nothing to enter while auth is off), and the cache panel reads
 * the public `/metrics` and `/health`.
 */
@Controller()
@Public()
export class PageController {
  private readonly document: PageDocument = readPageDocument();
  private readonly files: ReadonlyMap<string, PageFile> = readPageFiles();

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    // `void`: a Fastify reply is thenable, but `header()` only sets a header and returns the reply.
    void reply.header('Content-Security-Policy', this.document.contentSecurityPolicy);
    return this.document.html;
  }

  @Get('ui/:file')
  asset(@Param('file') file: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    return this.send(`/ui/${file}`, ifNoneMatch, reply);
  }

  @Get('ui/vendor/echarts/:file')
  chartLibrary(@Param('file') file: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    return this.send(`/ui/vendor/echarts/${file}`, ifNoneMatch, reply);
  }

  @Get('ui/vendor/eventsource-parser/:file')
  streamParser(@Param('file') file: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    return this.send(`/ui/vendor/eventsource-parser/${file}`, ifNoneMatch, reply);
  }

  /** The file, or a `304` when the browser's copy is current (`no-cache`: it always asks). */
  private send(path: string, ifNoneMatch: string | undefined, reply: FastifyReply): Buffer | string {
    const file = this.files.get(path);
    if (file === undefined) throw new NotFoundException('No such file in the page');
    // The same headers on a 304: a browser updates its stored copy's headers from it (Content-Type included).
    void reply.header('Cache-Control', 'no-cache').header('ETag', file.etag).header('X-Content-Type-Options', 'nosniff').header('Content-Type', file.contentType);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === file.etag)) {
      void reply.status(304);
      return '';
    }
    return file.body;
  }
}

import { BadRequestException } from '@nestjs/common';

const PREFIX = 'j1.';

/**
 * The list's opaque cursor: the last id of the previous page (newest first, so the next page is `id < it`),
 * base64url-wrapped so clients do not build it. A cursor that does not decode is a `400`.
 */
export const JobListCursor = {
  encode(lastId: number): string {
    return Buffer.from(`${PREFIX}${lastId}`, 'utf8').toString('base64url');
  },

  decode(cursor: string): number {
    const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
    const digits = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
    const id = /^[1-9][0-9]{0,15}$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isSafeInteger(id)) throw new BadRequestException('cursor is not a cursor this API returned');
    return id;
  },
};

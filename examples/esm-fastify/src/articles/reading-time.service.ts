import { Injectable } from '@nestjs/common';
import { CacheEvict, Cacheable } from 'nestjs-tiered-cache';

/** An expensive computation cached by its arguments, and the method that drops it. */
@Injectable()
export class ReadingTimeService {
  private runs = 0;

  @Cacheable({ namespace: 'reading-time', key: (title: string) => title, ttl: 600 })
  async estimate(title: string): Promise<{ minutes: number; run: number }> {
    return { minutes: Math.max(1, Math.round(title.split(/\s+/).length / 3)), run: ++this.runs };
  }

  @CacheEvict({ namespace: 'reading-time', allEntries: true })
  async forgetAll(): Promise<void> {}
}

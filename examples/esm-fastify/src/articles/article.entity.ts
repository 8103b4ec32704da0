import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'articles' })
export class Article {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'varchar', length: 50 })
  author: string;

  /** Bumped by every update through CachedRepository: cache writes are set-if-newer on it. */
  @Column({ type: 'integer', default: 1 })
  version: number;
}

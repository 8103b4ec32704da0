import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'products' })
export class Product {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'integer' })
  priceCents: number;

  /** Bumped by every update through CachedRepository: cache writes are set-if-newer on it. */
  @Column({ type: 'integer', default: 1 })
  version: number;
}

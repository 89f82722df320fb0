import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A trust's data key, wrapped under the trust's key-encryption key. `wrappedKey` null = destroyed (revoked). */
@Entity({ schema: 'vault', name: 'trust_key' })
export class TrustKey {
  @PrimaryColumn('uuid')
  trustId!: string;

  @PrimaryColumn('int')
  version!: number;

  @Column({ type: 'bytea', nullable: true })
  wrappedKey!: Buffer | null;

  @Column({ type: 'text' })
  status!: 'active' | 'retired' | 'revoked';

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}

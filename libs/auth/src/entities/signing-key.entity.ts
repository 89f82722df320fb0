import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A station signing key (ES256) for access tokens and audit checkpoints. Kept in the database
 * so every process signs with the same key; the private JWK is sealed with AES-256-GCM under a
 * key derived from the master key (HKDF, RFC 5869). `kid` is the RFC 7638 thumbprint.
 */
@Entity({ schema: 'identity', name: 'signing_key' })
export class SigningKey {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  alg!: string;

  @Column({ type: 'jsonb' })
  publicJwk!: Record<string, unknown>;

  @Column({ type: 'text' })
  privateJwkSealed!: string;

  /** `active` signs; `retired` keys only verify (and stay in the JWKS until their tokens expire). */
  @Column({ type: 'text' })
  status!: 'active' | 'retired';

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;
}

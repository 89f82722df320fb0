import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Trust } from './trust.entity.js';
import { Partner } from './partner.entity.js';

/**
 * A machine client (OAuth 2.0 client credentials with `private_key_jwt`, RFC 7523 / SMART
 * Backend Services). Owned by a partner (acts as `partner`) or a trust (acts as
 * `trust-uploader`). Its public keys are registered as a JWK Set or a JWKS URL; Harbour never
 * holds a client's private key. `id` is the `client_id`.
 */
@Entity({ schema: 'identity', name: 'api_client' })
@Check('("partner_id" IS NULL) <> ("trust_id" IS NULL)')
@Check('("jwks" IS NULL) <> ("jwks_url" IS NULL)')
export class ApiClient {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'uuid', nullable: true })
  partnerId!: string | null;

  @ManyToOne(() => Partner)
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  @Column({ type: 'uuid', nullable: true })
  trustId!: string | null;

  @ManyToOne(() => Trust)
  @JoinColumn({ name: 'trust_id' })
  trust?: Trust;

  /** Registered public keys (RFC 7517 JWK Set). */
  @Column({ type: 'jsonb', nullable: true })
  jwks!: { keys: Record<string, unknown>[] } | null;

  @Column({ type: 'text', nullable: true })
  jwksUrl!: string | null;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

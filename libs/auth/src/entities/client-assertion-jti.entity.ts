import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * `jti` values of accepted client assertions, kept until the assertion expires, so a replayed
 * assertion is refused by every process (RFC 7523 §3 item 7; SMART Backend Services).
 */
@Entity({ schema: 'identity', name: 'client_assertion_jti' })
@Index(['expiresAt'])
export class ClientAssertionJti {
  @PrimaryColumn({ type: 'uuid' })
  clientId!: string;

  @PrimaryColumn({ type: 'text' })
  jti!: string;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;
}

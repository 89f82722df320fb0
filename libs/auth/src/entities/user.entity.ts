import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A person who signs in (operator, auditor, guardian, partner member, a trust's uploader).
 * Table `identity.user_account` ("user" is reserved in SQL). Secrets are never stored in clear:
 * the password as an argon2id PHC string, TOTP secrets sealed with AES-256-GCM.
 */
@Entity({ schema: 'identity', name: 'user_account' })
@Index(['externalIssuer', 'externalSubject'], { unique: true, where: '"external_subject" IS NOT NULL' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  username!: string;

  @Column({ type: 'text', unique: true, nullable: true })
  email!: string | null;

  /** argon2id PHC string; null for people who only sign in through the external OIDC provider. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** Consecutive failed logins, reset on success; drives the lockout back-off. */
  @Column({ type: 'integer', default: 0 })
  failedLogins!: number;

  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ type: 'boolean', default: false })
  totpEnabled!: boolean;

  /** Sealed (AES-256-GCM) RFC 6238 secret, active once verified. */
  @Column({ type: 'text', nullable: true })
  totpSecret!: string | null;

  /** Sealed secret issued at enrolment and not yet verified. */
  @Column({ type: 'text', nullable: true })
  totpPendingSecret!: string | null;

  /** Last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2). */
  @Column({ type: 'bigint', nullable: true })
  totpLastStep!: string | null;

  /** External identity (OIDC `iss` and `sub`) mapped to this user. */
  @Column({ type: 'text', nullable: true })
  externalIssuer!: string | null;

  @Column({ type: 'text', nullable: true })
  externalSubject!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

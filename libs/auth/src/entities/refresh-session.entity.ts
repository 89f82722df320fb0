import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';

/**
 * A person's sign-in session. Access tokens carry its id (`sid`) so revoking the session stops
 * them at once. The refresh token rotates on every use; only SHA-256 hashes are stored, and the
 * previous hash is kept to detect reuse of a rotated-out token (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 */
@Entity({ schema: 'identity', name: 'refresh_session' })
export class RefreshSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  @Index()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'char', length: 64, unique: true })
  tokenHash!: string;

  @Column({ type: 'char', length: 64, nullable: true })
  @Index()
  previousTokenHash!: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

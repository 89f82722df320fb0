import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';
import { Trust } from './trust.entity.js';
import { Partner } from './partner.entity.js';

/** A role held by a user, with its organisation for scoped roles (one row per user and role). */
@Entity({ schema: 'identity', name: 'role_assignment' })
@Index(['userId', 'role'], { unique: true })
@Check("\"role\" IN ('guardian', 'auditor', 'operator', 'trust-uploader', 'partner')")
@Check('("trust_id" IS NOT NULL) = ("role" IN (\'guardian\', \'trust-uploader\')) AND ("partner_id" IS NOT NULL) = ("role" = \'partner\')')
export class RoleAssignment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'uuid', nullable: true })
  trustId!: string | null;

  @ManyToOne(() => Trust)
  @JoinColumn({ name: 'trust_id' })
  trust?: Trust;

  @Column({ type: 'uuid', nullable: true })
  partnerId!: string | null;

  @ManyToOne(() => Partner)
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

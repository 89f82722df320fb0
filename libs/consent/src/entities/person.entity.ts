import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One person, whatever trusts know them: keyed by the blind index of the NHS number (an HMAC,
 * never the number). Owned by the consent context because opt-outs are a person's choice.
 */
@Entity({ schema: 'consent', name: 'person' })
export class Person {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bytea', unique: true })
  nhsBidx!: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

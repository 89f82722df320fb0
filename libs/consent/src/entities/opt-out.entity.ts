import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type OptOutKind = 'ndop' | 'type1';

/** One uploaded version of a trust's opt-out list (National Data Opt-out or type 1). */
@Entity({ schema: 'consent', name: 'opt_out_list' })
@Index(['trustId', 'kind', 'version'], { unique: true })
export class OptOutList {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  kind!: OptOutKind;

  @Column('int')
  version!: number;

  @Column('int')
  entries!: number;

  @Column('int')
  invalidLines!: number;

  @Column({ type: 'text', nullable: true })
  uploadedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * The current opt-outs: a row per (person blind index, kind, trust list). A newer list version
 * replaces the trust's rows of that kind in one transaction, so queries see the change at once.
 * Applied person-wide: a National Data Opt-out is the person's choice wherever their data is.
 */
@Entity({ schema: 'consent', name: 'opt_out' })
@Index(['nhsBidx'])
export class OptOut {
  @PrimaryColumn('bytea')
  nhsBidx!: Buffer;

  @PrimaryColumn('text')
  kind!: OptOutKind;

  @PrimaryColumn('uuid')
  trustId!: string;

  @Column('int')
  listVersion!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  since!: Date;
}

/**
 * Every entry of every opt-out list version, kept for ever (append-only: a trigger refuses
 * UPDATE and DELETE). `consent.opt_out` holds only the lists in force; this history lets the
 * compliance report recompute who was opted out under the list version a result used.
 */
@Entity({ schema: 'consent', name: 'opt_out_entry' })
export class OptOutEntry {
  /** `consent.opt_out_list.id` of the version. */
  @PrimaryColumn('uuid')
  listId!: string;

  @PrimaryColumn('bytea')
  nhsBidx!: Buffer;
}

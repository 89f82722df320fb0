import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An NHS organisation whose data Harbour holds: the tenant of vault data. */
@Entity({ schema: 'identity', name: 'trust' })
export class Trust {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** ODS organisation code (NHS Organisation Data Service), e.g. "RR8". */
  @Column({ type: 'text', unique: true })
  odsCode!: string;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row (`id = 1`) holding the chain's last sequence number and hash. Appends take it
 * `FOR UPDATE` inside the caller's transaction, which serialises writers from every process
 * into one gap-free, fork-free sequence; a rolled-back transaction rolls the head back too.
 */
@Entity({ schema: 'audit', name: 'chain_head' })
export class AuditChainHead {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}

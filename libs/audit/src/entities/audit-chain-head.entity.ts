import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row (`id = 1`) holding the chain's last sequence number and hash. The sealer takes
 * it `FOR UPDATE` while it moves committed pending entries into the chain, which serialises
 * sealers in every process into one gap-free, fork-free sequence. Callers' transactions never
 * touch it, so they never wait on one another for the chain.
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

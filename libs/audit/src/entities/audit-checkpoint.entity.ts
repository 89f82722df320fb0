import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A signed checkpoint (`audit.checkpoint`): the station key's JWS over `{treeSize, headHash, time}`. Append-only. */
@Entity({ schema: 'audit', name: 'checkpoint' })
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'bigint' })
  treeSize!: string;

  @Column({ type: 'char', length: 64 })
  headHash!: string;

  @Column({ type: 'timestamptz' })
  time!: Date;

  @Column({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  jws!: string;
}

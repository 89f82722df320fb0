import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The persons a release counted, per trust of its scope (internal, never returned by any API):
 * lets the compliance report recompute, after the fact, that no result counted a person who was
 * opted out at the time, and gives metering each trust's contribution. One row per scoped trust
 * (an empty array when the trust contributed nobody), written by the statement that computed the
 * release, so it is exactly the set that was counted.
 */
@Entity({ schema: 'query', name: 'release_member' })
export class QueryReleaseMember {
  @PrimaryColumn('uuid')
  releaseId!: string;

  @PrimaryColumn('uuid')
  trustId!: string;

  /** `research.patient.person_id` (= `consent.person.id`) of every counted person of this trust. */
  @Column('uuid', { array: true })
  personIds!: string[];
}

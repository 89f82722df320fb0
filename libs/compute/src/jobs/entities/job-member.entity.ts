import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The persons a run's data source actually served to the job, per trust of its plan (internal,
 * never returned by any API). Written at the end of the run, in the transaction that records the
 * job's end, so it is exactly the set the job could have read. It lets the compliance report
 * recompute that no released output used a person who was opted out at run start (as
 * `query.release_member` does for query results), and gives metering each trust's contribution.
 * One row per trust of the run's plan (an empty array when the job read nobody of that trust).
 */
@Entity({ schema: 'compute', name: 'job_member' })
export class ComputeJobMember {
  @PrimaryColumn('uuid')
  jobId!: string;

  @PrimaryColumn('uuid')
  trustId!: string;

  /** `consent.person.id` (= `research.patient.person_id`) of every person served, cohort rows and FHIR records alike. */
  @Column('uuid', { array: true })
  personIds!: string[];
}

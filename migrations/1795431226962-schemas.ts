import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One PostgreSQL schema per bounded context (docs/ARCHITECTURE.md). Hand-written: TypeORM does
 * not generate schemas. `vault` holds identifiable data and is read only by the de-identification
 * pipeline; `research` holds de-identified data.
 */
export class Schemas1795431226962 implements MigrationInterface {
  name = 'Schemas1795431226962';
  private readonly schemas = [
    'identity',
    'audit',
    'vault',
    'research',
    'imaging',
    'ingestion',
    'consent',
    'access',
    'query',
    'compute',
    'ledger',
  ];

  async up(q: QueryRunner): Promise<void> {
    for (const s of this.schemas) await q.query(`CREATE SCHEMA IF NOT EXISTS "${s}"`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of [...this.schemas].reverse()) await q.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  }
}

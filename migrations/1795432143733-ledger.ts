import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Database-side guarantees of the ledger (hand-written; TypeORM does not model triggers). The
 * services check the same rules first; these make them hold for any writer, raw SQL included.
 * Errors carry SQLSTATEs of our own class `HL` so the repository can map them to domain codes:
 * HL001 period closed, HL002 unbalanced journal, HL003 append-only, HL004 inconsistent posting,
 * HL005 period order. Checked by libs/ledger/src/ledger.int-spec.ts with raw SQL.
 */
const APPEND_ONLY_TABLES = [
  'agreement',
  'agreement_trust',
  'account',
  'billable_event',
  'event_contribution',
  'journal',
  'line',
  'account_balance',
];

// Postings hold their period open with a shared transaction-level advisory lock (key: this class
// id and YYYYMM) and closing takes it exclusively, so a close waits for postings in flight and no
// posting slips in after it. Advisory locks live in the lock manager: unlike FOR SHARE on the one
// period row, they write nothing per posting.
const LOCK_CLASS = 727173;
const PERIOD_KEY = (col: string): string => `(substr(${col}, 1, 4) || substr(${col}, 6, 2))::int`;

const FUNCTIONS = [
  // Append-only: corrections are reversing entries, never edits.
  `CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger.% is append-only: % refused (post a reversing entry instead)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'HL003';
END $$`,
  // Hold a period open for the rest of the transaction and return its status (NULL: no such period).
  // The status is read after the lock is granted, so it reflects any close that committed meanwhile.
  `CREATE FUNCTION ledger.hold_period(p text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
  IF p !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock_shared(${LOCK_CLASS}, ${PERIOD_KEY('p')});
  SELECT status INTO s FROM ledger.period WHERE id = p;
  RETURN s;
END $$`,
  // Periods: created open, never before a closed one; the only change is open -> closed, in order.
  `CREATE FUNCTION ledger.period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger.period is append-only: DELETE refused' USING ERRCODE = 'HL003';
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'open' OR NEW.closed_at IS NOT NULL THEN
      RAISE EXCEPTION 'a period starts open' USING ERRCODE = 'HL005';
    END IF;
    IF NEW.id !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' OR NEW.starts_on <> to_date(NEW.id || '-01', 'YYYY-MM-DD') OR NEW.ends_on <> (NEW.starts_on + interval '1 month')::date THEN
      RAISE EXCEPTION 'period % must be a calendar month', NEW.id USING ERRCODE = 'HL005';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.period WHERE status = 'closed' AND id >= NEW.id) THEN
      RAISE EXCEPTION 'period % is closed (a later period is)', NEW.id USING ERRCODE = 'HL001';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id <> OLD.id OR NEW.starts_on <> OLD.starts_on OR NEW.ends_on <> OLD.ends_on OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'ledger.period: only the status may change' USING ERRCODE = 'HL003';
  END IF;
  IF OLD.status <> 'open' OR NEW.status <> 'closed' OR NEW.closed_at IS NULL THEN
    RAISE EXCEPTION 'period % is closed: it cannot change or reopen', OLD.id USING ERRCODE = 'HL001';
  END IF;
  IF EXISTS (SELECT 1 FROM ledger.period WHERE id < NEW.id AND status = 'open') THEN
    RAISE EXCEPTION 'close the periods before % first', NEW.id USING ERRCODE = 'HL005';
  END IF;
  -- Wait for every posting holding the period, and keep new ones out until this commits.
  PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, ${PERIOD_KEY('NEW.id')});
  RETURN NEW;
END $$`,
  // Nothing is dated in a closed period (journals, billable events).
  `CREATE FUNCTION ledger.period_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
  s := ledger.hold_period(NEW.period_id);
  IF s IS NULL THEN
    RAISE EXCEPTION 'period % does not exist', NEW.period_id USING ERRCODE = 'HL004';
  ELSIF s <> 'open' THEN
    RAISE EXCEPTION 'period % is closed: postings dated in it are refused', NEW.period_id USING ERRCODE = 'HL001';
  END IF;
  RETURN NEW;
END $$`,
  // Lines join a journal only in the transaction that creates it (whose insert already held the
  // period open), so a committed journal never changes; and in their account's currency.
  `CREATE FUNCTION ledger.line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE mine boolean; s text; c text;
BEGIN
  SELECT j.xmin = pg_current_xact_id()::xid, p.status INTO mine, s
    FROM ledger.journal j JOIN ledger.period p ON p.id = j.period_id WHERE j.id = NEW.journal_id;
  IF mine IS NULL THEN
    RAISE EXCEPTION 'journal % does not exist', NEW.journal_id USING ERRCODE = 'HL004';
  ELSIF s <> 'open' THEN
    RAISE EXCEPTION 'the period of journal % is closed: postings dated in it are refused', NEW.journal_id USING ERRCODE = 'HL001';
  ELSIF NOT mine THEN
    RAISE EXCEPTION 'journal % is already posted: lines are added only with their journal', NEW.journal_id USING ERRCODE = 'HL003';
  END IF;
  SELECT currency INTO c FROM ledger.account WHERE id = NEW.account_id;
  IF c IS DISTINCT FROM NEW.currency THEN
    RAISE EXCEPTION 'line currency % does not match account % (%)', NEW.currency, NEW.account_id, c USING ERRCODE = 'HL004';
  END IF;
  RETURN NEW;
END $$`,
  // Double entry, checked once per journal at commit (deferred): per currency, debits = credits.
  `CREATE FUNCTION ledger.journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  SELECT currency, sum(debit_pence) AS d, sum(credit_pence) AS c INTO r
    FROM ledger.line WHERE journal_id = NEW.id
    GROUP BY currency HAVING sum(debit_pence) <> sum(credit_pence) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal % does not balance in %: debits % <> credits %', NEW.id, r.currency, r.d, r.c USING ERRCODE = 'HL002';
  END IF;
  RETURN NULL;
END $$`,
  // Balance snapshots are written only by the transaction that closes their period.
  `CREATE FUNCTION ledger.balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger.period WHERE id = NEW.period_id AND status = 'closed' AND closed_at = now()) THEN
    RAISE EXCEPTION 'balances of period % are written when it closes', NEW.period_id USING ERRCODE = 'HL005';
  END IF;
  RETURN NEW;
END $$`,
];

const TRIGGERS = [
  ...APPEND_ONLY_TABLES.flatMap((t) => [
    `CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON ledger.${t} FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()`,
    `CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON ledger.${t} FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()`,
  ]),
  `CREATE TRIGGER period_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.period FOR EACH ROW EXECUTE FUNCTION ledger.period_guard()`,
  `CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON ledger.period FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()`,
  `CREATE TRIGGER period_open BEFORE INSERT ON ledger.journal FOR EACH ROW EXECUTE FUNCTION ledger.period_open()`,
  `CREATE TRIGGER period_open BEFORE INSERT ON ledger.billable_event FOR EACH ROW EXECUTE FUNCTION ledger.period_open()`,
  `CREATE TRIGGER line_guard BEFORE INSERT ON ledger.line FOR EACH ROW EXECUTE FUNCTION ledger.line_guard()`,
  `CREATE CONSTRAINT TRIGGER journal_balanced AFTER INSERT ON ledger.journal DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.journal_balanced()`,
  `CREATE TRIGGER balance_guard BEFORE INSERT ON ledger.account_balance FOR EACH ROW EXECUTE FUNCTION ledger.balance_guard()`,
];

const FUNCTION_NAMES = [
  'refuse_change()',
  'hold_period(text)',
  'period_guard()',
  'period_open()',
  'line_guard()',
  'journal_balanced()',
  'balance_guard()',
];

/** Generated by scripts/migration-generate.ts (tables), reviewed; triggers added by hand. */
export class Ledger1795432143733 implements MigrationInterface {
  name = 'Ledger1795432143733';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "ledger"."account" ("id" uuid NOT NULL, "kind" text NOT NULL, "owner_id" uuid NOT NULL, "currency" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_ledger_account_kind" CHECK ("kind" IN ('partner_receivable', 'trust_payable', 'station_revenue')), CONSTRAINT "PK_54115ee388cdb6d86bb4bf5b2ea" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_967dfdbd53a61ae01a3d3e7bb0" ON "ledger"."account"  ("kind", "owner_id", "currency") `);
    await q.query(
      `CREATE TABLE "ledger"."period" ("id" text NOT NULL, "starts_on" date NOT NULL, "ends_on" date NOT NULL, "status" text NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, "closed_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_ledger_period_status" CHECK ("status" IN ('open', 'closed')), CONSTRAINT "PK_cabecec858892ab647cd28673b8" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "ledger"."account_balance" ("period_id" text NOT NULL, "account_id" uuid NOT NULL, "debit_pence" bigint NOT NULL, "credit_pence" bigint NOT NULL, "line_count" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_17edc1b0ac6a6beef79bca43e6c" PRIMARY KEY ("period_id", "account_id"))`,
    );
    await q.query(
      `CREATE TABLE "ledger"."agreement" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "partner_id" uuid NOT NULL, "version" integer NOT NULL, "currency" text NOT NULL, "fixed_fee_per_period_pence" bigint NOT NULL, "per_query_pence" bigint NOT NULL, "per_compute_minute_pence" bigint NOT NULL, "per_output_released_pence" bigint NOT NULL, "per_imaging_study_pence" bigint NOT NULL, "trust_share_bps" integer NOT NULL, "split_method" text NOT NULL, "effective_from" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_ledger_agreement_split" CHECK ("split_method" IN ('contribution', 'equal', 'fixed')), CONSTRAINT "CHK_ledger_agreement_share" CHECK ("trust_share_bps" BETWEEN 0 AND 10000), CONSTRAINT "CHK_ledger_agreement_fees" CHECK ("fixed_fee_per_period_pence" >= 0 AND "per_query_pence" >= 0 AND "per_compute_minute_pence" >= 0 AND "per_output_released_pence" >= 0 AND "per_imaging_study_pence" >= 0), CONSTRAINT "PK_e7537188219eeef56233a609753" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_4af3de4a93f096ed1a43fc1260" ON "ledger"."agreement"  ("project_id", "version") `);
    await q.query(
      `CREATE TABLE "ledger"."agreement_trust" ("agreement_id" uuid NOT NULL, "trust_id" uuid NOT NULL, "weight" bigint NOT NULL, CONSTRAINT "CHK_ledger_agreement_trust_weight" CHECK ("weight" >= 0), CONSTRAINT "PK_100d648691b14a41946ae5222fc" PRIMARY KEY ("agreement_id", "trust_id"))`,
    );
    await q.query(
      `CREATE TABLE "ledger"."billable_event" ("id" uuid NOT NULL, "idempotency_key" text NOT NULL, "project_id" uuid NOT NULL, "partner_id" uuid NOT NULL, "agreement_id" uuid NOT NULL, "kind" text NOT NULL, "quantity" bigint NOT NULL, "unit_price_pence" bigint NOT NULL, "amount_pence" bigint NOT NULL, "trust_share_pence" bigint NOT NULL, "currency" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "period_id" text NOT NULL, "audit_seq" bigint NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_43299ffbf1c995b3be31b437bef" UNIQUE ("idempotency_key"), CONSTRAINT "CHK_ledger_billable_event_amounts" CHECK ("quantity" >= 0 AND "unit_price_pence" >= 0 AND "amount_pence" = "unit_price_pence" * "quantity" AND "trust_share_pence" BETWEEN 0 AND "amount_pence"), CONSTRAINT "PK_03afb683a6bce39b6a6c1164a25" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_6d6ca299d75b0b3ef65bb8a804" ON "ledger"."billable_event"  ("project_id", "occurred_at") `);
    await q.query(`CREATE INDEX "IDX_4106ead62619794a45477a4a59" ON "ledger"."billable_event"  ("period_id") `);
    await q.query(`CREATE INDEX "IDX_0a2b35a562d58cc58397a2aca1" ON "ledger"."billable_event"  ("partner_id", "period_id") `);
    await q.query(
      `CREATE TABLE "ledger"."event_contribution" ("billable_event_id" uuid NOT NULL, "trust_id" uuid NOT NULL, "patients" bigint NOT NULL, "share_pence" bigint NOT NULL, CONSTRAINT "CHK_ledger_event_contribution_values" CHECK ("patients" >= 0 AND "share_pence" >= 0), CONSTRAINT "PK_1876f45a6d2d7770edd4bfcf1d7" PRIMARY KEY ("billable_event_id", "trust_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_dc725037937b944d1708364cba" ON "ledger"."event_contribution"  ("trust_id") `);
    await q.query(
      `CREATE TABLE "ledger"."journal" ("id" uuid NOT NULL, "period_id" text NOT NULL, "kind" text NOT NULL, "billable_event_id" uuid, "reverses_journal_id" uuid, "description" text NOT NULL, "created_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_e5ccdfa656fe9d1ebae96236071" UNIQUE ("billable_event_id"), CONSTRAINT "UQ_5888c688fa5c5564b836ca652bb" UNIQUE ("reverses_journal_id"), CONSTRAINT "CHK_ledger_journal_refs" CHECK (("kind" = 'event' AND "billable_event_id" IS NOT NULL AND "reverses_journal_id" IS NULL) OR ("kind" = 'reversal' AND "billable_event_id" IS NULL AND "reverses_journal_id" IS NOT NULL) OR ("kind" = 'adjustment' AND "billable_event_id" IS NULL AND "reverses_journal_id" IS NULL)), CONSTRAINT "CHK_ledger_journal_kind" CHECK ("kind" IN ('event', 'reversal', 'adjustment')), CONSTRAINT "PK_396f862c229742e29f888b1abce" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_962246145ec9ceebd0c9bd525e" ON "ledger"."journal"  ("period_id") `);
    await q.query(
      `CREATE TABLE "ledger"."line" ("id" BIGSERIAL NOT NULL, "journal_id" uuid NOT NULL, "account_id" uuid NOT NULL, "currency" text NOT NULL, "debit_pence" bigint NOT NULL, "credit_pence" bigint NOT NULL, CONSTRAINT "CHK_ledger_line_one_side" CHECK ("debit_pence" >= 0 AND "credit_pence" >= 0 AND ("debit_pence" = 0) <> ("credit_pence" = 0)), CONSTRAINT "PK_3d944a608f62f599dfe688ff2b1" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_cc87d75813a3c35303d3d0d04b" ON "ledger"."line"  ("account_id") `);
    await q.query(`CREATE INDEX "IDX_05dbac5374993881a791026074" ON "ledger"."line"  ("journal_id") `);
    await q.query(
      `ALTER TABLE "ledger"."account_balance" ADD CONSTRAINT "FK_e15426cad70982b1b84b9d9ba5d" FOREIGN KEY ("period_id") REFERENCES "ledger"."period"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."account_balance" ADD CONSTRAINT "FK_029576f147e256f1f93e4865c76" FOREIGN KEY ("account_id") REFERENCES "ledger"."account"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."agreement_trust" ADD CONSTRAINT "FK_6178775e67aa078a35f2de05aab" FOREIGN KEY ("agreement_id") REFERENCES "ledger"."agreement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."billable_event" ADD CONSTRAINT "FK_475b9464f4aaedb6eb3a71cad4b" FOREIGN KEY ("agreement_id") REFERENCES "ledger"."agreement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."billable_event" ADD CONSTRAINT "FK_4106ead62619794a45477a4a596" FOREIGN KEY ("period_id") REFERENCES "ledger"."period"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."event_contribution" ADD CONSTRAINT "FK_b9f85c7f16d3ab586de028fbbae" FOREIGN KEY ("billable_event_id") REFERENCES "ledger"."billable_event"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."journal" ADD CONSTRAINT "FK_962246145ec9ceebd0c9bd525e3" FOREIGN KEY ("period_id") REFERENCES "ledger"."period"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."journal" ADD CONSTRAINT "FK_e5ccdfa656fe9d1ebae96236071" FOREIGN KEY ("billable_event_id") REFERENCES "ledger"."billable_event"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."journal" ADD CONSTRAINT "FK_5888c688fa5c5564b836ca652bb" FOREIGN KEY ("reverses_journal_id") REFERENCES "ledger"."journal"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."line" ADD CONSTRAINT "FK_05dbac5374993881a7910260740" FOREIGN KEY ("journal_id") REFERENCES "ledger"."journal"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "ledger"."line" ADD CONSTRAINT "FK_cc87d75813a3c35303d3d0d04b6" FOREIGN KEY ("account_id") REFERENCES "ledger"."account"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    for (const sql of FUNCTIONS) await q.query(sql);
    for (const sql of TRIGGERS) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "ledger"."line" DROP CONSTRAINT "FK_cc87d75813a3c35303d3d0d04b6"`);
    await q.query(`ALTER TABLE "ledger"."line" DROP CONSTRAINT "FK_05dbac5374993881a7910260740"`);
    await q.query(`ALTER TABLE "ledger"."journal" DROP CONSTRAINT "FK_5888c688fa5c5564b836ca652bb"`);
    await q.query(`ALTER TABLE "ledger"."journal" DROP CONSTRAINT "FK_e5ccdfa656fe9d1ebae96236071"`);
    await q.query(`ALTER TABLE "ledger"."journal" DROP CONSTRAINT "FK_962246145ec9ceebd0c9bd525e3"`);
    await q.query(`ALTER TABLE "ledger"."event_contribution" DROP CONSTRAINT "FK_b9f85c7f16d3ab586de028fbbae"`);
    await q.query(`ALTER TABLE "ledger"."billable_event" DROP CONSTRAINT "FK_4106ead62619794a45477a4a596"`);
    await q.query(`ALTER TABLE "ledger"."billable_event" DROP CONSTRAINT "FK_475b9464f4aaedb6eb3a71cad4b"`);
    await q.query(`ALTER TABLE "ledger"."agreement_trust" DROP CONSTRAINT "FK_6178775e67aa078a35f2de05aab"`);
    await q.query(`ALTER TABLE "ledger"."account_balance" DROP CONSTRAINT "FK_029576f147e256f1f93e4865c76"`);
    await q.query(`ALTER TABLE "ledger"."account_balance" DROP CONSTRAINT "FK_e15426cad70982b1b84b9d9ba5d"`);
    await q.query(`DROP INDEX "ledger"."IDX_05dbac5374993881a791026074"`);
    await q.query(`DROP INDEX "ledger"."IDX_cc87d75813a3c35303d3d0d04b"`);
    await q.query(`DROP TABLE "ledger"."line"`);
    await q.query(`DROP INDEX "ledger"."IDX_962246145ec9ceebd0c9bd525e"`);
    await q.query(`DROP TABLE "ledger"."journal"`);
    await q.query(`DROP INDEX "ledger"."IDX_dc725037937b944d1708364cba"`);
    await q.query(`DROP TABLE "ledger"."event_contribution"`);
    await q.query(`DROP INDEX "ledger"."IDX_0a2b35a562d58cc58397a2aca1"`);
    await q.query(`DROP INDEX "ledger"."IDX_4106ead62619794a45477a4a59"`);
    await q.query(`DROP INDEX "ledger"."IDX_6d6ca299d75b0b3ef65bb8a804"`);
    await q.query(`DROP TABLE "ledger"."billable_event"`);
    await q.query(`DROP TABLE "ledger"."agreement_trust"`);
    await q.query(`DROP INDEX "ledger"."IDX_4af3de4a93f096ed1a43fc1260"`);
    await q.query(`DROP TABLE "ledger"."agreement"`);
    await q.query(`DROP TABLE "ledger"."account_balance"`);
    await q.query(`DROP TABLE "ledger"."period"`);
    await q.query(`DROP INDEX "ledger"."IDX_967dfdbd53a61ae01a3d3e7bb0"`);
    await q.query(`DROP TABLE "ledger"."account"`);
    for (const f of FUNCTION_NAMES) await q.query(`DROP FUNCTION ledger.${f}`);
  }
}

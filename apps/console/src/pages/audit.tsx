import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, listOf } from '../api/client.js';
import type { AuditEntry } from '../api/types.js';
import {
  ConfirmDialog,
  DataView,
  DefinitionList,
  ErrorBox,
  Loading,
  PageHeader,
  Section,
  StatusBadge,
  Table,
  Unavailable,
  useFlash,
} from '../ui/components.js';
import { fmtBytes, fmtDateTime, fmtNumber, saveBlob, shortId } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';

interface Filters {
  from: string;
  to: string;
  actor: string;
  action: string;
  project: string;
  trust: string;
}

const EMPTY: Filters = { from: '', to: '', actor: '', action: '', project: '', trust: '' };

function toQuery(f: Filters): Record<string, string | undefined> {
  return {
    from: f.from ? new Date(f.from).toISOString() : undefined,
    to: f.to ? new Date(f.to).toISOString() : undefined,
    actor: f.actor.trim() || undefined,
    action: f.action.trim() || undefined,
    project: f.project.trim() || undefined,
    trust: f.trust.trim() || undefined,
  };
}

/** Search the audit trail: newest first, paged with the API's opaque cursor. */
export function AuditPage(): ReactNode {
  const flash = useFlash();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [pages, setPages] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [more, setMore] = useState<{ busy: boolean; error?: ApiError }>({ busy: false });
  const [exporting, setExporting] = useState(false);
  const first = useApi(async () => {
    const page = listOf<AuditEntry>(await api.get('/audit/entries', { ...toQuery(applied), limit: 50 }));
    setPages([]);
    setCursor(page.nextCursor);
    return page.items;
  }, [applied]);

  function search(e: FormEvent): void {
    e.preventDefault();
    setApplied({ ...draft });
  }

  async function loadMore(): Promise<void> {
    if (!cursor) return;
    setMore({ busy: true });
    try {
      const page = listOf<AuditEntry>(await api.get('/audit/entries', { ...toQuery(applied), limit: 50, cursor }));
      setPages((p) => [...p, ...page.items]);
      setCursor(page.nextCursor);
      setMore({ busy: false });
    } catch (e) {
      setMore({ busy: false, error: e instanceof ApiError ? e : new ApiError(0, 'client_error', String(e)) });
    }
  }

  async function exportTrail(): Promise<void> {
    setExporting(true);
    try {
      const q = toQuery(applied);
      let file: { blob: Blob; filename: string };
      try {
        const d = await api.download('/audit/export', { from: q.from, to: q.to });
        file = { blob: d.blob, filename: d.filename ?? `harbour-audit-export-${new Date().toISOString().slice(0, 10)}.json` };
      } catch (e) {
        if (!(e instanceof ApiError && e.unavailable)) throw e;
        // No export route on this station yet: page through the search (same API, same permission).
        const all: AuditEntry[] = [];
        let c: string | undefined;
        do {
          const page = listOf<AuditEntry>(await api.get('/audit/entries', { ...q, limit: 500, cursor: c }));
          all.push(...page.items);
          c = page.nextCursor;
        } while (c && all.length < 50_000);
        file = {
          blob: new Blob([all.map((x) => JSON.stringify(x)).join('\n') + '\n'], { type: 'application/x-ndjson' }),
          filename: `harbour-audit-entries-${new Date().toISOString().slice(0, 10)}.ndjson`,
        };
      }
      saveBlob(file.blob, file.filename);
      flash(`Downloaded ${file.filename} (${fmtBytes(file.blob.size)}).`);
    } catch (e) {
      flash(`The export failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    } finally {
      setExporting(false);
    }
  }

  const field = (k: keyof Filters, label: string, type = 'text', hint?: string): ReactNode => (
    <div className="field">
      <label htmlFor={`f-${k}`}>{label}</label>
      {hint ? (
        <p className="hint" id={`f-${k}-hint`}>
          {hint}
        </p>
      ) : null}
      <input
        id={`f-${k}`}
        type={type}
        value={draft[k]}
        aria-describedby={hint ? `f-${k}-hint` : undefined}
        onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
      />
    </div>
  );

  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every sensitive action on the station, hash-chained and signed. Entries hold ids and reasons, never patient data."
        actions={
          <button type="button" onClick={() => void exportTrail()} disabled={exporting}>
            {exporting ? 'Exporting…' : 'Download audit export'}
          </button>
        }
      />
      <Section title="Search">
        <form onSubmit={search} className="filters" role="search" aria-label="Audit trail">
          {field('from', 'From', 'datetime-local')}
          {field('to', 'To', 'datetime-local')}
          {field('actor', 'Actor id')}
          {field('action', 'Action', 'text', 'For example access_request.approved')}
          {field('project', 'Project id')}
          {field('trust', 'Trust id')}
          <div className="button-row">
            <button type="submit" className="primary">
              Search
            </button>
            <button
              type="button"
              onClick={() => {
                setDraft(EMPTY);
                setApplied(EMPTY);
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </Section>
      <Section title="Entries">
        <DataView value={first} what="audit entries">
          {(rows) => {
            const all = [...rows, ...pages];
            return (
              <>
                <p className="muted" role="status">
                  Showing {fmtNumber(all.length)} entr{all.length === 1 ? 'y' : 'ies'}
                  {cursor ? ' (more available)' : ''}.
                </p>
                <Table
                  caption="Audit entries, newest first"
                  columns={[
                    { header: 'Seq', numeric: true, cell: (e: AuditEntry) => String(e.seq) },
                    { header: 'Time', cell: (e: AuditEntry) => fmtDateTime(e.at) },
                    { header: 'Action', cell: (e: AuditEntry) => <code>{e.action}</code> },
                    { header: 'Outcome', cell: (e: AuditEntry) => <StatusBadge status={e.outcome} /> },
                    { header: 'Actor', cell: (e: AuditEntry) => `${e.actorRole ?? e.actorType ?? ''} ${shortId(e.actorId)}`.trim() },
                    { header: 'Target', cell: (e: AuditEntry) => (e.targetType ? `${e.targetType} ${shortId(e.targetId)}` : '—') },
                    { header: 'Project', cell: (e: AuditEntry) => shortId(e.projectId) },
                    { header: 'Trust', cell: (e: AuditEntry) => shortId(e.trustId) },
                  ]}
                  rows={all}
                  rowKey={(e) => String(e.seq)}
                  empty="No entries match these filters."
                />
                {more.error ? <ErrorBox error={more.error} /> : null}
                {cursor ? (
                  <button type="button" onClick={() => void loadMore()} disabled={more.busy}>
                    {more.busy ? 'Loading…' : 'Load older entries'}
                  </button>
                ) : null}
              </>
            );
          }}
        </DataView>
      </Section>
    </>
  );
}

interface Verification {
  ok: boolean;
  entriesChecked: number;
  checkpointsChecked?: number;
  firstSeq?: number | null;
  lastSeq?: number | null;
  failure?: { kind: string; seq: number; message: string } | null;
}

interface Checkpoint {
  treeSize: string | number;
  headHash: string;
  time: string;
  kid: string;
  jws?: string;
}

export function VerifyPage(): ReactNode {
  const flash = useFlash();
  const [result, setResult] = useState<Verification | undefined>();
  const action = useAction();
  const latest = useApi(async () => {
    const r = await api.get<unknown>('/audit/checkpoints', { limit: 1 });
    const items = listOf<Checkpoint>(r).items;
    const one =
      items[0] ?? (r && typeof r === 'object' && 'checkpoint' in r ? (r as { checkpoint: Checkpoint | null }).checkpoint : undefined);
    return one ?? null;
  }, []);
  return (
    <>
      <PageHeader
        title="Chain verification"
        description="Recompute every hash link and check every signed checkpoint against the station’s keys."
      />
      <Section title="Verify the live trail">
        {action.error ? <ErrorBox error={action.error} /> : null}
        <button
          type="button"
          className="primary"
          disabled={action.busy}
          onClick={() =>
            void action
              .run(() => api.get<Verification>('/audit/verify'))
              .then((r) => {
                if (!r) return;
                setResult(r.value);
                flash(
                  r.value.ok
                    ? `Verified ${fmtNumber(r.value.entriesChecked)} entries: the chain is intact.`
                    : `Verification found a problem at entry ${r.value.failure?.seq ?? '?'}.`,
                  r.value.ok ? 'success' : 'error',
                );
              })
          }
        >
          {action.busy ? 'Verifying…' : 'Verify now'}
        </button>
        {action.busy ? <Loading label="Checking every entry…" /> : null}
        {result ? (
          <div className={`callout ${result.ok ? 'callout-good' : 'callout-error'}`} data-testid="verify-result">
            <p>
              <strong>{result.ok ? 'The chain is intact.' : 'The chain is broken.'}</strong>
            </p>
            <DefinitionList
              items={[
                ['Entries checked', fmtNumber(result.entriesChecked)],
                ['Checkpoints checked', fmtNumber(result.checkpointsChecked ?? 0)],
                ['Range', result.firstSeq ? `${result.firstSeq} – ${result.lastSeq}` : '—'],
                ...(result.failure
                  ? ([['Problem', `${result.failure.kind} at ${result.failure.seq}: ${result.failure.message}`]] as [string, ReactNode][])
                  : []),
              ]}
            />
          </div>
        ) : null}
      </Section>
      <Section title="Last signed checkpoint">
        <DataView value={latest} what="checkpoints">
          {(c) =>
            c ? (
              <DefinitionList
                items={[
                  ['Entries covered', fmtNumber(c.treeSize)],
                  ['Signed at', fmtDateTime(c.time)],
                  ['Head hash', <code className="break">{c.headHash}</code>],
                  ['Key id', <code>{c.kid}</code>],
                ]}
              />
            ) : (
              <p>No checkpoint has been signed yet.</p>
            )
          }
        </DataView>
      </Section>
    </>
  );
}

export function CompliancePage(): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10);
  const [from, setFrom] = useState(monthAgo);
  const [to, setTo] = useState(today);
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <PageHeader
        title="Compliance packs"
        description="A pack for a period: approvals, releases, opt-out handling, the audit summary and the signed checkpoints, for a DSPT or ethics review."
      />
      <Section title="Download a pack">
        {action.error?.unavailable ? (
          <Unavailable what="Compliance packs" error={action.error} />
        ) : action.error ? (
          <ErrorBox error={action.error} />
        ) : null}
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            if (from && to && from <= to) setConfirming(true);
          }}
        >
          <div className="field">
            <label htmlFor="c-from">From</label>
            <input id="c-from" type="date" required value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="c-to">To</label>
            <input id="c-to" type="date" required value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          </div>
          <div className="button-row">
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Preparing…' : 'Download compliance pack'}
            </button>
          </div>
        </form>
      </Section>
      <ConfirmDialog
        open={confirming}
        title="Download the compliance pack?"
        confirmLabel="Download"
        busy={action.busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void action
            .run(() =>
              api.download('/compliance/report', {
                from: new Date(`${from}T00:00:00Z`).toISOString(),
                to: new Date(`${to}T23:59:59Z`).toISOString(),
              }),
            )
            .then((r) => {
              setConfirming(false);
              if (!r) {
                return;
              }
              const ext = r.value.contentType.includes('zip') ? 'zip' : r.value.contentType.includes('pdf') ? 'pdf' : 'json';
              const name = r.value.filename ?? `harbour-compliance-${from}-to-${to}.${ext}`;
              saveBlob(r.value.blob, name);
              flash(`Downloaded ${name} (${fmtBytes(r.value.blob.size)}). Downloading it is recorded in the audit trail.`);
            })
        }
      >
        <p>
          The pack covers {from} to {to}. The download is recorded in the audit trail.
        </p>
      </ConfirmDialog>
    </>
  );
}

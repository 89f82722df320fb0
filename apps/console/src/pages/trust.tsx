import { useRef, useState, type ReactNode } from 'react';
import { api, camelKeys, listOf } from '../api/client.js';
import { useNames } from '../api/names.js';
import { useSession } from '../api/session.js';
import { BarChart } from '../ui/charts.js';
import { ConfirmDialog, DataView, ErrorBox, PageHeader, Section, StatusBadge, Table, Unavailable, useFlash } from '../ui/components.js';
import { fmtDate, fmtDateTime, fmtNumber, fmtPence, shortId } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';

interface QuarantinedImage {
  id: string;
  studyId?: string;
  modality?: string;
  reason?: string;
  reasons?: string[];
  findings?: { message?: string; tag?: string }[];
  status?: string;
  createdAt?: string;
  quarantinedAt?: string;
}

export function QuarantinePage(): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const list = useApi(async () => listOf<QuarantinedImage>(await api.get('/imaging/quarantine')).items, []);
  const [pending, setPending] = useState<{ img: QuarantinedImage; decision: 'release' | 'discard' } | undefined>();
  const [reason, setReason] = useState('');
  return (
    <>
      <PageHeader
        title="Imaging quarantine"
        description="DICOM images the de-identification could not clear automatically (burned-in text, unknown private tags). Release them to the research store or discard them."
      />
      {action.error ? <ErrorBox error={action.error} /> : null}
      <DataView value={list} what="quarantined images">
        {(rows) => (
          <Section title={`Awaiting a decision (${rows.length})`}>
            <Table
              caption="Quarantined images"
              columns={[
                { header: 'Image', cell: (r) => shortId(r.id) },
                { header: 'Modality', cell: (r) => r.modality ?? '—' },
                {
                  header: 'Why',
                  cell: (r) => r.reason ?? r.reasons?.join('; ') ?? r.findings?.map((f) => f.message ?? f.tag).join('; ') ?? '—',
                },
                { header: 'Since', cell: (r) => fmtDateTime(r.quarantinedAt ?? r.createdAt) },
                {
                  header: 'Decision',
                  cell: (r) => (
                    <div className="button-row compact">
                      <button type="button" onClick={() => setPending({ img: r, decision: 'release' })}>
                        Release…
                      </button>
                      <button type="button" className="danger" onClick={() => setPending({ img: r, decision: 'discard' })}>
                        Discard…
                      </button>
                    </div>
                  ),
                },
              ]}
              rows={rows}
              rowKey={(r) => r.id}
              empty="No images are in quarantine."
            />
          </Section>
        )}
      </DataView>
      <ConfirmDialog
        open={pending !== undefined}
        title={pending?.decision === 'release' ? 'Release this image?' : 'Discard this image?'}
        confirmLabel={pending?.decision === 'release' ? 'Yes, release' : 'Yes, discard'}
        danger={pending?.decision === 'discard'}
        busy={action.busy}
        onCancel={() => setPending(undefined)}
        onConfirm={() => {
          if (!pending || !reason.trim()) return;
          void action
            .run(() =>
              api.post(`/imaging/quarantine/${encodeURIComponent(pending.img.id)}/decision`, {
                decision: pending.decision,
                reason: reason.trim(),
              }),
            )
            .then((r) => {
              if (r !== undefined) {
                flash(`${pending.decision === 'release' ? 'Released' : 'Discarded'} image ${shortId(pending.img.id)}.`);
                list.reload();
              }
              setPending(undefined);
              setReason('');
            });
        }}
      >
        <div className="field">
          <label htmlFor="q-reason">Reason (required)</label>
          <textarea id="q-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
      </ConfirmDialog>
    </>
  );
}

interface OptOutUpload {
  id: string;
  kind?: string;
  version?: number;
  entries?: number;
  invalidLines?: number;
  removedFromResearch?: number;
  createdAt?: string;
  uploadedAt?: string;
  uploadedBy?: string;
  source?: string;
  count?: number;
  accepted?: number;
  rejected?: number;
  status?: string;
}

export function OptOutsPage(): ReactNode {
  const { me } = useSession();
  const flash = useFlash();
  const action = useAction();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | undefined>();
  const trustId = me?.trustId;
  const history = useApi(
    async () => (trustId ? listOf<OptOutUpload>(await api.get(`/trusts/${encodeURIComponent(trustId)}/opt-outs`)).items : []),
    [trustId],
  );
  if (!trustId) return <Unavailable what="Opt-outs (your account is not linked to a trust)" />;
  return (
    <>
      <PageHeader
        title="Opt-outs"
        description="Upload your trust’s national data opt-out list (one NHS number per line, CSV). Opted-out patients are removed from every project’s data at the next refresh."
      />
      <Section title="Upload a list">
        {action.error ? <ErrorBox error={action.error} /> : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!file) return;
            void action
              .run(async () =>
                api.request<OptOutUpload>('POST', `/trusts/${encodeURIComponent(trustId)}/opt-outs`, {
                  raw: await file.text(),
                  contentType: 'text/csv',
                }),
              )
              .then((r) => {
                if (!r) return;
                const v = r.value && typeof r.value === 'object' ? camelKeys(r.value) : undefined;
                const n = v?.entries ?? v?.accepted ?? v?.count;
                flash(`Uploaded ${file.name}${n !== undefined ? `: ${fmtNumber(n)} opt-outs recorded` : ''}.`);
                setFile(undefined);
                if (fileRef.current) fileRef.current.value = '';
                history.reload();
              });
          }}
        >
          <div className="field">
            <label htmlFor="optout-file">Opt-out file (CSV)</label>
            <input
              id="optout-file"
              ref={fileRef}
              type="file"
              accept=".csv,text/csv,text/plain"
              onChange={(e) => setFile(e.target.files?.[0])}
            />
          </div>
          <button type="submit" className="primary" disabled={!file || action.busy}>
            {action.busy ? 'Uploading…' : 'Upload'}
          </button>
        </form>
      </Section>
      <Section title="Upload history">
        <DataView value={history} what="opt-out uploads">
          {(rows) => (
            <Table
              caption="Opt-out uploads"
              columns={[
                { header: 'When', cell: (r) => fmtDateTime(r.uploadedAt ?? r.createdAt) },
                {
                  header: 'List',
                  cell: (r) => (r.kind === 'type1' ? 'Type 1 opt-out' : r.kind === 'ndop' ? 'National data opt-out' : (r.source ?? '—')),
                },
                { header: 'Version', numeric: true, cell: (r) => fmtNumber(r.version) },
                { header: 'Recorded', numeric: true, cell: (r) => fmtNumber(r.entries ?? r.accepted ?? r.count) },
                { header: 'Invalid lines', numeric: true, cell: (r) => fmtNumber(r.invalidLines ?? r.rejected ?? 0) },
              ]}
              rows={rows}
              rowKey={(r) => r.id}
              empty="No lists uploaded yet."
            />
          )}
        </DataView>
      </Section>
    </>
  );
}

interface Statement {
  id?: string;
  trustId?: string;
  trustName?: string;
  period?: string;
  periodStart?: string;
  periodEnd?: string;
  status?: string;
  revenuePence?: number;
  totalPence?: number;
  amountPence?: number;
  lines?: { description?: string; amountPence?: number; projectId?: string }[];
}

function amount(s: Statement): number {
  return s.revenuePence ?? s.totalPence ?? s.amountPence ?? 0;
}

function periodOf(s: Statement): string {
  return s.period ?? (s.periodStart ? s.periodStart.slice(0, 7) : '—');
}

export function RevenuePage(): ReactNode {
  const { hasRole, me } = useSession();
  const names = useNames();
  const list = useApi(
    async () =>
      listOf<Statement>(await api.get('/ledger/statements', hasRole('guardian') && me?.trustId ? { trustId: me.trustId } : {})).items,
    [me?.trustId],
  );
  return (
    <>
      <PageHeader
        title={hasRole('guardian') ? 'Your trust’s revenue' : 'Revenue by trust'}
        description="Statements from the ledger: what partners paid for projects using each trust’s data, per period."
      />
      <DataView value={list} what="revenue statements">
        {(rows) => {
          const periods = [...new Set(rows.map(periodOf))].sort().slice(-8);
          const trusts = [...new Set(rows.map((s) => s.trustId ?? '—'))];
          const trustName = (id: string): string => rows.find((s) => s.trustId === id)?.trustName ?? names.trust(id);
          return (
            <>
              {rows.length ? (
                <Section title="Revenue per trust per period">
                  <BarChart
                    title="Revenue per trust per period"
                    categories={periods}
                    series={trusts.map((t) => ({
                      name: trustName(t),
                      values: periods.map((p) =>
                        rows.filter((s) => (s.trustId ?? '—') === t && periodOf(s) === p).reduce((a, s) => a + amount(s), 0),
                      ),
                    }))}
                    format={(n) => fmtPence(n)}
                  />
                </Section>
              ) : null}
              <Section title="Statements">
                <Table
                  caption="Revenue statements"
                  columns={[
                    {
                      header: 'Period',
                      cell: (s) => (s.periodStart ? `${fmtDate(s.periodStart)} – ${fmtDate(s.periodEnd)}` : periodOf(s)),
                    },
                    { header: 'Trust', cell: (s) => s.trustName ?? names.trust(s.trustId) },
                    { header: 'Status', cell: (s) => <StatusBadge status={s.status ?? 'open'} /> },
                    { header: 'Revenue', numeric: true, cell: (s) => fmtPence(amount(s)) },
                  ]}
                  rows={rows}
                  rowKey={(s, i) => s.id ?? `${s.trustId}-${periodOf(s)}-${i}`}
                  empty="No statements yet."
                />
              </Section>
            </>
          );
        }}
      </DataView>
    </>
  );
}

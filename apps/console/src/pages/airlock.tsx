import { useEffect, useState, type ReactNode } from 'react';
import { api, listOf } from '../api/client.js';
import type { AirlockOutput, Finding } from '../api/types.js';
import { Link } from '../router.js';
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
  useFlash,
} from '../ui/components.js';
import { fmtBytes, fmtDateTime, humanise, shortId } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';

export function AirlockPage(): ReactNode {
  const list = useApi(async () => listOf<AirlockOutput>(await api.get('/airlock/outputs', { status: 'pending' })).items, []);
  return (
    <>
      <PageHeader
        title="Airlock"
        description="Outputs of compute jobs waiting for a guardian before they leave the station. Automatic checks flag small counts and identifiers; you decide."
      />
      <DataView value={list} what="airlock outputs">
        {(rows) => (
          <Section title={`Pending outputs (${rows.length})`}>
            <Table
              caption="Pending outputs"
              columns={[
                { header: 'Output', cell: (o) => <Link to={`/airlock/${o.id}`}>{o.name ?? o.filename ?? shortId(o.id)}</Link> },
                {
                  header: 'Project',
                  cell: (o) => (o.projectId ? <Link to={`/projects/${o.projectId}`}>{o.projectTitle ?? shortId(o.projectId)}</Link> : '—'),
                },
                { header: 'Type', cell: (o) => o.contentType ?? o.mediaType ?? o.kind ?? '—' },
                { header: 'Findings', numeric: true, cell: (o) => (o.findings ? String(o.findings.length) : '—') },
                { header: 'Created', cell: (o) => fmtDateTime(o.createdAt) },
                { header: 'Status', cell: (o) => <StatusBadge status={o.status} /> },
              ]}
              rows={rows}
              rowKey={(o) => o.id}
              empty="No outputs are waiting for review."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

type Preview =
  | { kind: 'table'; rows: string[][]; truncated: boolean }
  | { kind: 'text'; text: string; truncated: boolean }
  | { kind: 'image'; url: string }
  | { kind: 'binary'; type: string; size: number };

const MAX_ROWS = 200;
const MAX_TEXT = 100_000;

/** Split CSV (RFC 4180 quoting) for a preview; the raw file stays on the station. */
export function parseCsv(text: string, maxRows: number): { rows: string[][]; truncated: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      if (rows.length > maxRows) return { rows: rows.slice(0, maxRows), truncated: true };
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return { rows, truncated: false };
}

function PreviewView({ id }: { id: string }): ReactNode {
  const [preview, setPreview] = useState<Preview | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let url: string | undefined;
    let live = true;
    api.download(`/airlock/outputs/${encodeURIComponent(id)}/content`).then(
      async ({ blob, contentType }) => {
        const type = contentType.split(';')[0]!.trim().toLowerCase();
        let p: Preview;
        if (type.startsWith('image/')) {
          url = URL.createObjectURL(blob);
          p = { kind: 'image', url };
        } else if (type === 'text/csv' || type === 'application/csv') {
          p = { kind: 'table', ...parseCsv(await blob.slice(0, MAX_TEXT).text(), MAX_ROWS) };
        } else if (type.startsWith('text/') || type.includes('json')) {
          p = { kind: 'text', text: await blob.slice(0, MAX_TEXT).text(), truncated: blob.size > MAX_TEXT };
        } else p = { kind: 'binary', type, size: blob.size };
        if (live) setPreview(p);
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id]);
  if (error) return <p className="callout callout-error">The preview could not be loaded: {error}</p>;
  if (!preview) return <Loading label="Loading the preview…" />;
  switch (preview.kind) {
    case 'image':
      return (
        <img
          className="preview-image"
          src={preview.url}
          alt="Output image under review (no description is available: describe what you see in your reason)"
        />
      );
    case 'text':
      return (
        <>
          <pre className="preview-text" tabIndex={0} aria-label="Output text">
            {preview.text}
          </pre>
          {preview.truncated ? <p className="muted">Showing the first 100 KB.</p> : null}
        </>
      );
    case 'table': {
      const [head, ...body] = preview.rows;
      return (
        <>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Output table preview">
            <table data-testid="preview-table">
              <caption className="visually-hidden">Output table preview</caption>
              {head ? (
                <thead>
                  <tr>
                    {head.map((h, i) => (
                      <th key={i} scope="col">
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
              ) : null}
              <tbody>
                {body.map((r, i) => (
                  <tr key={i}>
                    {r.map((c, j) => (
                      <td key={j}>{c}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {preview.truncated ? <p className="muted">Showing the first {MAX_ROWS} rows.</p> : null}
        </>
      );
    }
    case 'binary':
      return (
        <p>
          No preview for {preview.type} ({fmtBytes(preview.size)}).
        </p>
      );
  }
}

function FindingsList({ findings }: { findings: Finding[] | undefined }): ReactNode {
  if (!findings) return <p className="muted">No automatic checks were reported.</p>;
  if (!findings.length) return <p>The automatic checks found nothing.</p>;
  return (
    <ul className="findings" data-testid="findings">
      {findings.map((f, i) => (
        <li key={i} className={`finding finding-${f.severity ?? 'info'}`}>
          <strong>{humanise(f.severity ?? 'note')}:</strong> {f.message ?? f.detail ?? humanise(f.rule ?? f.code)}
          {f.location ? <span className="muted"> ({f.location})</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function AirlockOutputPage({ id }: { id: string }): ReactNode {
  const out = useApi(() => api.get<AirlockOutput>(`/airlock/outputs/${encodeURIComponent(id)}`), [id]);
  return (
    <DataView value={out} what="the output">
      {(o) => (
        <>
          <PageHeader title={`Output ${o.name ?? o.filename ?? shortId(o.id)}`} description={<StatusBadge status={o.status} />} />
          <div className="grid-2">
            <Section title="About">
              <DefinitionList
                items={[
                  ['Project', o.projectId ? <Link to={`/projects/${o.projectId}`}>{o.projectTitle ?? shortId(o.projectId)}</Link> : '—'],
                  ['Job', shortId(o.jobId)],
                  ['Type', o.contentType ?? o.mediaType ?? o.kind ?? '—'],
                  ['Size', o.sizeBytes !== undefined ? fmtBytes(o.sizeBytes) : '—'],
                  ['Created', fmtDateTime(o.createdAt)],
                ]}
              />
            </Section>
            <Section title="Automatic findings">
              <FindingsList findings={o.findings} />
            </Section>
          </div>
          <Section title="Preview">
            <PreviewView id={o.id} />
          </Section>
          {o.reviews?.length ? (
            <Section title="Reviews">
              <Table
                caption="Reviews"
                columns={[
                  { header: 'When', cell: (r) => fmtDateTime(r.createdAt) },
                  { header: 'Decision', cell: (r) => <StatusBadge status={r.decision} /> },
                  { header: 'Reason', cell: (r) => r.reason },
                ]}
                rows={o.reviews}
                rowKey={(_, i) => String(i)}
                empty=""
              />
            </Section>
          ) : null}
          {o.status === 'pending' || o.status === 'pending_review' ? <ReviewForm output={o} onDone={out.reload} /> : null}
        </>
      )}
    </DataView>
  );
}

function ReviewForm({ output, onDone }: { output: AirlockOutput; onDone(): void }): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const [decision, setDecision] = useState<'approve' | 'reject'>('approve');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const name = output.name ?? output.filename ?? shortId(output.id);
  return (
    <Section title="Your review">
      {problem ? (
        <div className="callout callout-error" role="alert">
          <p>{problem}</p>
        </div>
      ) : null}
      {action.error ? <ErrorBox error={action.error} /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!reason.trim()) return setProblem('Give a reason for your decision.');
          setProblem(undefined);
          setConfirming(true);
        }}
      >
        <fieldset>
          <legend>Decision</legend>
          <label className="choice">
            <input type="radio" name="review" checked={decision === 'approve'} onChange={() => setDecision('approve')} /> Approve release
          </label>
          <label className="choice">
            <input type="radio" name="review" checked={decision === 'reject'} onChange={() => setDecision('reject')} /> Reject
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor="review-reason">Reason</label>
          <textarea id="review-reason" rows={3} required value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className={decision === 'reject' ? 'danger' : 'primary'}>
          {decision === 'approve' ? 'Approve release…' : 'Reject output…'}
        </button>
      </form>
      <ConfirmDialog
        open={confirming}
        title={decision === 'approve' ? 'Release this output?' : 'Reject this output?'}
        confirmLabel={decision === 'approve' ? 'Yes, approve release' : 'Yes, reject'}
        danger={decision === 'reject'}
        busy={action.busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void action
            .run(() => api.post(`/airlock/outputs/${encodeURIComponent(output.id)}/reviews`, { decision, reason: reason.trim() }))
            .then((r) => {
              setConfirming(false);
              if (r !== undefined) {
                flash(decision === 'approve' ? `Approved the release of ${name}.` : `Rejected ${name}. The partner sees your reason.`);
                onDone();
              }
            })
        }
      >
        <p>
          Output <strong>{name}</strong>
        </p>
        <p>Reason: {reason}</p>
      </ConfirmDialog>
    </Section>
  );
}

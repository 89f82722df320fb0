import { useState, type FormEvent, type ReactNode } from 'react';
import { api, listOf } from '../api/client.js';
import { useNames } from '../api/names.js';
import { useSession } from '../api/session.js';
import { normaliseRequest, partnerLabel, type AccessRequest, type Conditions, type Decision } from '../api/types.js';
import { Link } from '../router.js';
import { ConfirmDialog, DataView, DefinitionList, ErrorBox, PageHeader, Section, StatusBadge, Table, useFlash } from '../ui/components.js';
import { fmtDate, fmtDateTime, humanise } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';

/** The caller's trust's state on a request (guardians decide for their own trust only). */
export function myTrustStatus(r: AccessRequest, trustId: string | undefined): string | undefined {
  return trustId ? r.trusts?.find((t) => t.trustId === trustId)?.status : undefined;
}

export function awaitingDecision(r: AccessRequest, trustId: string | undefined): boolean {
  const mine = myTrustStatus(r, trustId);
  // Another trust may have approved first: the project is then active, and this trust still decides.
  if (mine !== undefined) return mine === 'pending' && ['submitted', 'under_review', 'approved', 'active'].includes(r.status);
  return r.status === 'submitted' || r.status === 'under_review';
}

export function RequestsPage(): ReactNode {
  const { me, hasRole } = useSession();
  const names = useNames();
  const list = useApi(async () => listOf<unknown>(await api.get('/access-requests')).items.map(normaliseRequest), []);
  const guardian = hasRole('guardian');
  return (
    <>
      <PageHeader
        title={guardian ? 'Access requests' : hasRole('partner') ? 'Your access requests' : 'Access requests'}
        description={
          guardian
            ? "Requests for your trust's data. Each trust decides for its own data; the partner sees your reasons and conditions."
            : hasRole('partner')
              ? 'Requests your organisation has made, with each trust’s decision.'
              : 'All requests on the station (read only).'
        }
      />
      <DataView value={list} what="access requests">
        {(rows) => {
          const waiting = guardian ? rows.filter((r) => awaitingDecision(r, me?.trustId)) : [];
          const rest = guardian ? rows.filter((r) => !awaitingDecision(r, me?.trustId)) : rows;
          const cols = [
            { header: 'Title', cell: (r: AccessRequest) => <Link to={`/requests/${r.id}`}>{r.title || 'Untitled request'}</Link> },
            {
              header: 'Partner',
              cell: (r: AccessRequest) => (r.partnerName || r.partner?.name ? partnerLabel(r) : names.partner(r.partnerId)),
            },
            { header: 'Commercial', cell: (r: AccessRequest) => (r.commercialUse === undefined ? '—' : r.commercialUse ? 'Yes' : 'No') },
            { header: 'Submitted', cell: (r: AccessRequest) => fmtDate(r.submittedAt ?? r.createdAt) },
            { header: 'Status', cell: (r: AccessRequest) => <StatusBadge status={r.status} /> },
            ...(guardian
              ? [{ header: 'Your trust', cell: (r: AccessRequest) => <StatusBadge status={myTrustStatus(r, me?.trustId) ?? '—'} /> }]
              : []),
          ];
          return (
            <>
              {guardian ? (
                <Section title={`Awaiting your trust's decision (${waiting.length})`}>
                  <Table
                    caption="Requests awaiting your decision"
                    columns={cols}
                    rows={waiting}
                    rowKey={(r) => r.id}
                    empty="Nothing is waiting for your decision."
                  />
                </Section>
              ) : null}
              <Section title={guardian ? 'Decided and other requests' : 'Requests'}>
                <Table caption="Access requests" columns={cols} rows={rest} rowKey={(r) => r.id} empty="There are no requests yet." />
              </Section>
            </>
          );
        }}
      </DataView>
    </>
  );
}

function ConditionsText({ c }: { c: Conditions | undefined }): ReactNode {
  const parts = conditionsSummary(c);
  return parts.length ? (
    <ul className="tight">
      {parts.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  ) : (
    <>None</>
  );
}

export function conditionsSummary(c: Conditions | undefined): string[] {
  if (!c) return [];
  const out: string[] = [];
  if (c.suppressionThreshold) out.push(`Suppress counts below ${c.suppressionThreshold}`);
  if (c.roundingBase) out.push(`Round released counts to ${c.roundingBase}`);
  if (c.noImaging) out.push('No imaging from this trust');
  if (c.requireStudyConsent) out.push('Study consent required');
  if (c.resourceTypes?.length) out.push(`Only: ${c.resourceTypes.join(', ')}`);
  if (c.note) out.push(c.note);
  return out;
}

export function RequestDetailPage({ id }: { id: string }): ReactNode {
  const { me, hasRole } = useSession();
  const names = useNames();
  const req = useApi(() => api.get<unknown>(`/access-requests/${encodeURIComponent(id)}`).then(normaliseRequest), [id]);
  return (
    <DataView value={req} what="the request">
      {(r) => {
        const mine = myTrustStatus(r, me?.trustId);
        const canDecide = hasRole('guardian') && awaitingDecision(r, me?.trustId);
        const decisions = r.decisions ?? [];
        return (
          <>
            <PageHeader title={r.title || 'Access request'} description={<StatusBadge status={r.status} />} />
            <div className="grid-2">
              <Section title="What and why">
                <DefinitionList
                  items={[
                    ['Partner', r.partnerName || r.partner?.name ? partnerLabel(r) : names.partner(r.partnerId)],
                    ['Purpose', r.purpose ?? '—'],
                    ['Lay summary', r.laySummary ?? '—'],
                    [
                      'Legal basis',
                      [r.legalBasisArt6 && `UK GDPR Art. ${r.legalBasisArt6}`, r.legalBasisArt9 && `Art. ${r.legalBasisArt9}`]
                        .filter(Boolean)
                        .join('; ') || '—',
                    ],
                    ['Commercial use', r.commercialUse === undefined ? '—' : r.commercialUse ? 'Yes — commercial use' : 'No'],
                    ['Data use codes', r.duoCodes?.join(', ') || '—'],
                    ['Duration asked for', r.requestedDurationDays ? `${r.requestedDurationDays} days` : '—'],
                    ['Submitted', fmtDateTime(r.submittedAt)],
                  ]}
                />
              </Section>
              <Section title="Data and de-identification">
                <DefinitionList
                  items={[
                    ['Health records', r.requestedData?.ehrResourceTypes?.join(', ') || 'None'],
                    ['Imaging', r.requestedData?.imagingModalities?.join(', ') || 'None'],
                    ['De-identification profile', r.deidentification?.ehrProfile ?? '—'],
                    ['DICOM options', r.deidentification?.dicomOptions?.join(', ') || 'None'],
                  ]}
                />
              </Section>
            </div>
            <Section title="Trusts asked">
              <Table
                caption="Trusts asked and their state"
                columns={[
                  { header: 'Trust', cell: (t) => t.trustName ?? t.trust?.name ?? names.trust(t.trustId) },
                  { header: 'State', cell: (t) => <StatusBadge status={t.status} /> },
                  { header: 'Conditions', cell: (t) => <ConditionsText c={t.conditions} /> },
                  { header: 'End date', cell: (t) => fmtDate(t.endDate) },
                ]}
                rows={r.trusts ?? []}
                rowKey={(t) => t.trustId}
                empty="No trusts listed."
              />
            </Section>
            <Section title="Decisions so far">
              <Table
                caption="Decisions by trust"
                columns={[
                  { header: 'When', cell: (d: Decision) => fmtDateTime(d.createdAt) },
                  {
                    header: 'Trust',
                    cell: (d: Decision) =>
                      d.trustId === me?.trustId ? 'Your trust' : (d.trustName ?? d.trust?.name ?? names.trust(d.trustId)),
                  },
                  { header: 'Decision', cell: (d: Decision) => <StatusBadge status={d.decision} /> },
                  { header: 'Reason', cell: (d: Decision) => d.reason },
                  { header: 'Conditions', cell: (d: Decision) => <ConditionsText c={d.conditions} /> },
                  { header: 'End date', cell: (d: Decision) => fmtDate(d.endDate) },
                ]}
                rows={decisions}
                rowKey={(d, i) => d.id ?? String(i)}
                empty="No trust has decided yet."
              />
            </Section>
            {canDecide ? (
              <DecisionForm request={r} onDone={req.reload} />
            ) : hasRole('guardian') && mine ? (
              <p className="muted">Your trust’s decision: {humanise(mine)}.</p>
            ) : null}
          </>
        );
      }}
    </DataView>
  );
}

const DECISION_LABEL = { approve: 'Approve', reject: 'Reject', request_changes: 'Request changes' } as const;

function DecisionForm({ request, onDone }: { request: AccessRequest; onDone(): void }): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const [decision, setDecision] = useState<keyof typeof DECISION_LABEL>('approve');
  const [reason, setReason] = useState('');
  // An approval needs an end date within the duration the partner asked for.
  const latestEnd = new Date(Date.now() + Math.max(1, (request.requestedDurationDays ?? 365) - 1) * 86400_000).toISOString().slice(0, 10);
  const [endDate, setEndDate] = useState(latestEnd);
  const [suppression, setSuppression] = useState('');
  const [rounding, setRounding] = useState('');
  const [noImaging, setNoImaging] = useState(false);
  const [studyConsent, setStudyConsent] = useState(false);
  const [note, setNote] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();

  const conditions: Conditions = {};
  if (decision === 'approve') {
    if (suppression) conditions.suppressionThreshold = Number(suppression);
    if (rounding) conditions.roundingBase = Number(rounding);
    if (noImaging) conditions.noImaging = true;
    if (studyConsent) conditions.requireStudyConsent = true;
    if (note.trim()) conditions.note = note.trim();
  }
  const summary = conditionsSummary(conditions);

  function review(e: FormEvent): void {
    e.preventDefault();
    if (reason.trim().length < 3) return setProblem('Give a reason (at least 3 characters): the partner sees it.');
    if (decision === 'approve' && !endDate) return setProblem('An approval needs an end date.');
    if (decision === 'approve' && new Date(endDate) <= new Date()) return setProblem('The end date must be in the future.');
    if (decision === 'approve' && endDate > latestEnd)
      return setProblem(`The end date cannot be later than ${fmtDate(latestEnd)} (the duration the partner asked for).`);
    setProblem(undefined);
    setConfirming(true);
  }

  async function send(): Promise<void> {
    const body = {
      decision,
      reason: reason.trim(),
      ...(decision === 'approve' && Object.keys(conditions).length ? { conditions } : {}),
      ...(decision === 'approve' && endDate ? { endDate: new Date(`${endDate}T12:00:00Z`).toISOString() } : {}),
    };
    const ok = await action.run(() => api.post(`/access-requests/${encodeURIComponent(request.id)}/decisions`, body));
    setConfirming(false);
    if (ok !== undefined) {
      const what = decision === 'approve' ? 'Approved' : decision === 'reject' ? 'Rejected' : 'Asked for changes to';
      flash(
        `${what} “${request.title}” for your trust${summary.length ? ` with ${summary.length} condition${summary.length > 1 ? 's' : ''}` : ''}${decision === 'approve' && endDate ? `, ending ${fmtDate(endDate)}` : ''}.`,
      );
      onDone();
    }
  }

  return (
    <Section title="Your trust's decision">
      <form onSubmit={review} aria-describedby="decision-help">
        <p id="decision-help" className="hint">
          You decide for your own trust only. The partner sees your decision, reason and conditions.
        </p>
        {problem ? (
          <div className="callout callout-error" role="alert">
            <p>{problem}</p>
          </div>
        ) : null}
        {action.error ? <ErrorBox error={action.error} /> : null}
        <fieldset>
          <legend>Decision</legend>
          {(Object.keys(DECISION_LABEL) as (keyof typeof DECISION_LABEL)[]).map((k) => (
            <label key={k} className="choice">
              <input type="radio" name="decision" value={k} checked={decision === k} onChange={() => setDecision(k)} /> {DECISION_LABEL[k]}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="reason">Reason</label>
          <textarea id="reason" required rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        {decision === 'approve' ? (
          <fieldset>
            <legend>Conditions (optional)</legend>
            <div className="grid-2">
              <div className="field">
                <label htmlFor="c-suppress">Suppress counts below</label>
                <input
                  id="c-suppress"
                  type="number"
                  min={10}
                  max={1000}
                  inputMode="numeric"
                  value={suppression}
                  onChange={(e) => setSuppression(e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="c-round">Round released counts to</label>
                <input
                  id="c-round"
                  type="number"
                  min={5}
                  max={1000}
                  inputMode="numeric"
                  value={rounding}
                  onChange={(e) => setRounding(e.target.value)}
                />
              </div>
            </div>
            <label className="choice">
              <input type="checkbox" checked={noImaging} onChange={(e) => setNoImaging(e.target.checked)} /> No imaging from our trust
            </label>
            <label className="choice">
              <input type="checkbox" checked={studyConsent} onChange={(e) => setStudyConsent(e.target.checked)} /> Require study consent for
              our patients
            </label>
            <div className="field">
              <label htmlFor="c-note">Other condition</label>
              <input id="c-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} />
            </div>
          </fieldset>
        ) : null}
        {decision === 'approve' ? (
          <div className="field">
            <label htmlFor="c-end">End date</label>
            <p id="c-end-hint" className="hint">
              The project stops using your trust’s data after this date (at the latest {fmtDate(latestEnd)}).
            </p>
            <input
              id="c-end"
              type="date"
              required
              aria-describedby="c-end-hint"
              min={new Date(Date.now() + 86400_000).toISOString().slice(0, 10)}
              max={latestEnd}
              value={endDate}
              onChange={(e) => setEndDate(e.target.value)}
            />
          </div>
        ) : null}
        <div className="button-row">
          <button type="submit" className={decision === 'reject' ? 'danger' : 'primary'}>
            {DECISION_LABEL[decision]}…
          </button>
        </div>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`${DECISION_LABEL[decision]} this request?`}
        confirmLabel={`Yes, ${DECISION_LABEL[decision].toLowerCase()}`}
        danger={decision === 'reject'}
        busy={action.busy}
        onConfirm={() => void send()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          <strong>{request.title}</strong>, for your trust.
        </p>
        <p>Reason: {reason}</p>
        {summary.length ? (
          <>
            <p>Conditions:</p>
            <ul className="tight">
              {summary.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          </>
        ) : null}
        {decision === 'approve' && endDate ? <p>End date: {fmtDate(endDate)}</p> : null}
      </ConfirmDialog>
    </Section>
  );
}

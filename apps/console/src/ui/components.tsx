import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { ApiError } from '../api/client.js';
import type { Loadable } from './use-api.js';
import { humanise } from './format.js';

/* ---------- confirmations: every action says what it did ---------- */

export interface FlashMessage {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

const FlashContext = createContext<{
  flash(text: string, kind?: FlashMessage['kind']): void;
  messages: FlashMessage[];
  dismiss(id: number): void;
}>({
  flash: () => undefined,
  messages: [],
  dismiss: () => undefined,
});

export function FlashProvider({ children }: { children: ReactNode }): ReactNode {
  const [messages, setMessages] = useState<FlashMessage[]>([]);
  const next = useRef(1);
  const flash = useCallback((text: string, kind: FlashMessage['kind'] = 'success') => {
    const id = next.current++;
    setMessages((m) => [...m.slice(-2), { id, kind, text }]);
  }, []);
  const dismiss = useCallback((id: number) => setMessages((m) => m.filter((x) => x.id !== id)), []);
  return <FlashContext.Provider value={{ flash, messages, dismiss }}>{children}</FlashContext.Provider>;
}

export function useFlash(): (text: string, kind?: FlashMessage['kind']) => void {
  return useContext(FlashContext).flash;
}

/** The live region where confirmations appear (announced by screen readers). */
export function FlashArea(): ReactNode {
  const { messages, dismiss } = useContext(FlashContext);
  return (
    <div className="flash-area" role="status" aria-live="polite" data-testid="flash">
      {messages.map((m) => (
        <div key={m.id} className={`flash flash-${m.kind}`}>
          <span>{m.text}</span>
          <button type="button" className="link-button" onClick={() => dismiss(m.id)} aria-label={`Dismiss: ${m.text}`}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}

/* ---------- page structure ---------- */

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }): ReactNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Harbour console`;
    ref.current?.focus();
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1}>
          {title}
        </h1>
        {description ? <p className="lede">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }): ReactNode {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/* ---------- loading / empty / error / not available ---------- */

export function ErrorBox({ error, retry }: { error: ApiError; retry?: () => void }): ReactNode {
  return (
    <div className="callout callout-error" role="alert">
      <p>
        <strong>
          {error.status === 403 ? 'You are not allowed to see this.' : error.status === 0 ? 'No connection.' : 'Something went wrong.'}
        </strong>{' '}
        {error.message}
      </p>
      {error.fields?.length ? (
        <ul>
          {error.fields.map((f) => (
            <li key={f.field}>
              {f.field}: {f.messages.join('; ')}
            </li>
          ))}
        </ul>
      ) : null}
      {error.correlationId ? <p className="muted">Reference for support: {error.correlationId}</p> : null}
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Unavailable({ what, error }: { what: string; error?: ApiError }): ReactNode {
  return (
    <div className="callout callout-info" data-testid="unavailable">
      <p>
        <strong>Not available on this station yet.</strong> {what} needs an API this station does not offer yet
        {error ? ` (${error.message})` : ''}. Everything else keeps working.
      </p>
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }): ReactNode {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return <p className="empty">{children}</p>;
}

/** Render a loadable: its loading, not-available and error states, or the data. */
export function DataView<T>({
  value,
  what,
  children,
}: {
  value: Loadable<T> & { reload(): void };
  what: string;
  children: (data: T) => ReactNode;
}): ReactNode {
  switch (value.state) {
    case 'loading':
      return <Loading label={`Loading ${what}…`} />;
    case 'unavailable':
      return <Unavailable what={humanise(what)} error={value.error} />;
    case 'error':
      return <ErrorBox error={value.error} retry={value.reload} />;
    case 'ready':
      return <>{children(value.data)}</>;
  }
}

/* ---------- tables ---------- */

export interface Column<R> {
  header: string;
  cell: (row: R) => ReactNode;
  numeric?: boolean;
}

export function Table<R>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (r: R, i: number) => string;
  empty: ReactNode;
}): ReactNode {
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)}>
              {columns.map((c) => (
                <td key={c.header} className={c.numeric ? 'num' : undefined}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function StatusBadge({ status }: { status: unknown }): ReactNode {
  const s = String(status ?? 'unknown');
  const tone = /approved|active|ok|released|completed|succeeded|valid|verified/.test(s)
    ? 'good'
    : /reject|revoked|failed|error|broken|discard|denied/.test(s)
      ? 'bad'
      : /pending|submitted|review|changes|running|queued|quarantine/.test(s)
        ? 'warn'
        : 'neutral';
  return <span className={`badge badge-${tone}`}>{humanise(s)}</span>;
}

/* ---------- forms ---------- */

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (props: { id: string; 'aria-describedby'?: string }) => ReactElement;
}): ReactNode {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {children(hint ? { id, 'aria-describedby': hintId } : { id })}
    </div>
  );
}

export function DefinitionList({ items }: { items: [string, ReactNode][] }): ReactNode {
  return (
    <dl className="deflist">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A modal confirmation (native <dialog>: focus is trapped and Escape cancels). */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm(): void;
  onCancel(): void;
}): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="button-row">
        <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

// The console's building blocks: loading what a view shows, and the pieces every page uses (times, errors, state
// badges, tables, a confirm step). Text from the API is only ever rendered as text (JSX escapes it); nothing here
// sets HTML.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, isNotAvailable } from './api';
import { local, utc, ago } from './format';

export type Loaded<T> =
  | { status: 'loading' }
  | { status: 'ok'; data: T }
  | { status: 'unavailable' }
  | { status: 'error'; error: ApiError };

/** Runs `load` when `key` changes (and on reload()); a route the server does not have yet is `unavailable`. */
export function useLoad<T>(load: () => Promise<T>, key: string): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const current = useRef(0);
  useEffect(() => {
    const mine = ++current.current;
    setState((s) => (s.status === 'ok' ? s : { status: 'loading' }));
    load().then(
      (data) => mine === current.current && setState({ status: 'ok', data }),
      (e: unknown) => {
        if (mine !== current.current) return;
        if (isNotAvailable(e)) setState({ status: 'unavailable' });
        else setState({ status: 'error', error: e instanceof ApiError ? e : new ApiError(0, 'unexpected', e instanceof Error ? e.message : String(e)) });
      },
    );
  }, [key, round]);
  return [state, useCallback(() => setRound((r) => r + 1), [])];
}

/** What to do next, for an error the API gave. */
export function nextStep(e: ApiError): string {
  // A form's own check, before any request.
  if (e.code === 'missing_input') return 'Fill it in and press the button again.';
  if (e.status === 0) return 'Check that this function is reachable, then try again.';
  if (e.status === 401) return 'Log in again with a valid token.';
  if (e.status === 403) return `Use a token with the "${String(e.details.scope ?? 'needed')}" scope (or admin).`;
  if (e.status === 429) return `Wait ${String(e.details.retryAfter ?? 'a few')} s and try again.`;
  if (e.code === 'config_invalid') return 'Fix the variables GET /healthz lists, in the function\'s environment.';
  if (e.code === 'store_unavailable') return 'Check the state store (STATE_STORE) and the function\'s log.';
  if (e.status >= 500) return 'Try again; if it persists, look for the request id in the function\'s log.';
  return 'Correct what the message names and try again.';
}

export function ErrorBox({ error, onRetry, what }: { error: ApiError; onRetry?: () => void; what?: string }) {
  return (
    <div class="error" role="alert">
      <p>
        <strong>{what ? `${what}: ` : ''}{error.message}</strong>
        {error.code && error.code !== 'network' ? <span class="code"> ({error.code}{error.status ? `, HTTP ${error.status}` : ''})</span> : null}
      </p>
      <p>{nextStep(error)}{error.requestId ? <> Request id <code>{error.requestId}</code>.</> : null}</p>
      {onRetry ? <button type="button" onClick={onRetry}>Try again</button> : null}
    </div>
  );
}

export function NotAvailable({ what }: { what: string }) {
  return <p class="unavailable" role="status">{what}: not available on this server yet.</p>;
}

export function Loading({ what }: { what: string }) {
  return <p class="loading" role="status" aria-live="polite">Loading {what}…</p>;
}

/** Renders a Loaded: the children with the data, or loading, unavailable, or the error with a retry. */
export function Show<T>({ value, what, reload, children }: { value: Loaded<T>; what: string; reload?: () => void; children: (data: T) => ComponentChildren }) {
  if (value.status === 'loading') return <Loading what={what} />;
  if (value.status === 'unavailable') return <NotAvailable what={what[0]!.toUpperCase() + what.slice(1)} />;
  if (value.status === 'error') return <ErrorBox error={value.error} what={`Could not load ${what}`} {...(reload ? { onRetry: reload } : {})} />;
  return <>{children(value.data)}</>;
}

/** A time in the viewer's zone, UTC on hover (and in `datetime`). */
export function Time({ iso, relative }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={utc(iso)}>
      {local(iso)}
      {relative ? <span class="muted"> ({ago(iso, Date.now())})</span> : null}
    </time>
  );
}

const BAD = new Set(['AGENT_OFFLINE', 'FAILED', 'UNKNOWN_AGENT', 'firing', 'offline', 'unknown', 'failed', 'dead', 'warning', 'degraded', 'unavailable', 'auth', 'clock', 'gone', 'failing', 'store', 'error']);
const BUSY = new Set(['COLLECTING', 'pending', 'collecting']);

export function Badge({ value }: { value: string | null | undefined }) {
  const v = value ?? 'not checked';
  const tone = BAD.has(v) ? 'bad' : BUSY.has(v) ? 'busy' : v === 'not checked' || v === 'unchecked' ? 'none' : 'good';
  return <span class={`badge ${tone}`}>{v}</span>;
}

/** A table that scrolls sideways on a narrow screen; focusable so a keyboard can scroll it. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

/**
 * A button whose action runs only after a second, explicit "Confirm" (for what cannot be undone: replay all,
 * discard). Escape or "Cancel" steps back.
 */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled }: { label: string; confirmLabel: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) return <button type="button" onClick={() => setAsking(true)} disabled={disabled}>{label}</button>;
  return (
    <span class="confirm" role="group" aria-label={confirmLabel} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span>{confirmLabel}</span>
      <button type="button" class="danger" ref={confirmRef} onClick={() => { setAsking(false); onConfirm(); }}>Confirm</button>
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

/** The outcome of a write, announced: what happened, or the API's error. */
export type Outcome = { ok: true; text: string } | { ok: false; error: ApiError } | null;

export function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  if (outcome.ok) return <p class="done" role="status">{outcome.text}</p>;
  return <ErrorBox error={outcome.error} />;
}

/** Runs a write and reports its outcome; `busy` while it runs. */
export function useAction(): [boolean, Outcome, (run: () => Promise<string>) => Promise<void>, () => void] {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const run = useCallback(async (f: () => Promise<string>) => {
    setBusy(true);
    setOutcome(null);
    try {
      setOutcome({ ok: true, text: await f() });
    } catch (e) {
      setOutcome({ ok: false, error: e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)) });
    } finally {
      setBusy(false);
    }
  }, []);
  return [busy, outcome, run, useCallback(() => setOutcome(null), [])];
}

/**
 * Page by page through a list the API answers with `nextCursor`, newest first: the cursor of the page shown, a
 * reset to the first page (a new filter), and the Newer / Older buttons under the list.
 */
export function useCursorPages(): { cursor: string | undefined; reset: () => void; pager: (nextCursor: string | null) => ComponentChildren } {
  const [cursors, setCursors] = useState<string[]>([]);
  // A render function, not a component made anew each render: a component would be remounted and lose the focus.
  const pager = (nextCursor: string | null) => (
    <div class="actions">
      {cursors.length ? <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</button> : null}
      {nextCursor ? <button type="button" onClick={() => setCursors((c) => [...c, nextCursor])}>Older</button> : null}
    </div>
  );
  return { cursor: cursors[cursors.length - 1], reset: () => setCursors([]), pager };
}

/** Small shared pieces of the UI. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';

/** An error as people should read it: the server's message, and its code for reference. */
export function ErrorBanner({ error, onDismiss, children }: { error: unknown; onDismiss?: () => void; children?: ComponentChildren }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  return (
    <div class="banner error" role="alert">
      <div class="grow">
        <div>{message}</div>
        {children}
      </div>
      {e && <span class="code" title="error code">{e.code}</span>}
      {onDismiss && (
        <button type="button" class="btn small" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

export function Banner({ kind, children, role }: { kind: 'info' | 'warn' | 'ok' | 'error'; children: ComponentChildren; role?: 'alert' | 'status' }) {
  return (
    <div class={`banner ${kind}`} role={role ?? (kind === 'error' ? 'alert' : 'status')}>
      <div class="grow">{children}</div>
    </div>
  );
}

export function Pill({ status, label }: { status: string; label?: string }) {
  return <span class={`pill ${status}`}>{label ?? status}</span>;
}

/** A bar for `value` of `max`; labelled for screen readers. */
export function ProgressBar({ value, max, label, ok }: { value: number; max: number; label: string; ok?: boolean }) {
  const share = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return (
    <div class={`progress${ok ? ' ok' : ''}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
      <span style={{ width: `${(share * 100).toFixed(1)}%` }} />
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span class="spinner" role="status" aria-label={label} />;
}

export function Keys({ keys }: { keys: string[] }) {
  return (
    <>
      {keys.map((k) => (
        <kbd key={k}>{k}</kbd>
      ))}
    </>
  );
}

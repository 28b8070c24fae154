import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AdminContext } from './admin-app';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): Promise<void>;
}

/**
 * GETs `path` (again every `pollMs` while the tab is visible, if given). Keeps the last good data while a refresh
 * fails, so a blip shows an error without blanking the page.
 */
export function useApi<T>(ctx: AdminContext, path: string | null, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const seq = useRef(0);

  const reload = useCallback(async () => {
    if (path === null) return;
    const mine = ++seq.current;
    try {
      const d = await ctx.client.get<T>(path);
      if (mine !== seq.current) return;
      setData(d);
      setError(null);
    } catch (e) {
      if (mine !== seq.current || ctx.onAuthError(e)) return;
      setError(e);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [ctx, path]);

  useEffect(() => {
    setLoading(path !== null);
    void reload();
    if (!pollMs || path === null) return;
    const t = setInterval(() => document.visibilityState === 'visible' && void reload(), pollMs);
    return () => clearInterval(t);
  }, [reload, pollMs]);

  return { data, error, loading, reload };
}

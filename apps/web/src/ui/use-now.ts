import { useEffect, useState } from 'preact/hooks';

/** The current time, re-rendering every `everyMs` (for countdowns). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Runs `fn` now and every `ms` while the page is visible (and again when it becomes visible). */
export function usePolling(fn: () => void, ms: number, deps: unknown[]): void {
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (timer === undefined) timer = setInterval(() => document.visibilityState === 'visible' && fn(), ms);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') fn();
    };
    fn();
    start();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // `deps` (not fn) restarts the poll: the caller lists what fn depends on.
  }, deps);
}

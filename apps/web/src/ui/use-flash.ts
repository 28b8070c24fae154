import { useEffect, useState } from 'preact/hooks';

/** A confirmation message that clears itself after `ms` (so "Resumed." does not linger over later states). */
export function useFlash(ms = 10_000): [string | null, (m: string | null) => void] {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (message === null) return;
    const t = setTimeout(() => setMessage(null), ms);
    return () => clearTimeout(t);
  }, [message, ms]);
  return [message, setMessage];
}

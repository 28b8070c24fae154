/**
 * Launch an experiment from a YAML spec. A rejected spec lists every problem with its path and line; selecting one
 * puts the cursor on that line.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { LaunchResult, SpecIssue } from '../api/types';
import { ErrorBanner } from '../ui/components';
import type { AdminContext } from './admin-app';
import { navigate } from './router';

/** A small, complete starting point (every other field has a default; see specs/demo.yaml for all of them). */
export const SPEC_TEMPLATE = `name: my-experiment
description: Constrained instructions, labeled by people
seed: 7

rounds:
  count: 2
  promptsPerRound: 24
  completionsPerPrompt: 4

labeling:
  quorum: 80%          # of the round's tasks
  deadline: 2h
  overlap: 0.1         # share of tasks ranked by two labelers (agreement)
  assignmentExpiry: 20m

trainer: ppo
`;

/** Line and column of the start of line `line` (1-based) in `text`. */
function offsetOfLine(text: string, line: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl === -1) return text.length;
    at = nl + 1;
  }
  return at;
}

export function LaunchPage({ ctx }: { ctx: AdminContext }) {
  const [yaml, setYaml] = useState(SPEC_TEMPLATE);
  const [start, setStart] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [issues, setIssues] = useState<SpecIssue[]>([]);
  const [busy, setBusy] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);

  const launch = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setIssues([]);
    try {
      const r = await ctx.client.post<LaunchResult>('/api/v1/experiments', { json: { spec: yaml, start } });
      navigate(`/admin/experiments/${r.experiment.id}`);
    } catch (err) {
      if (ctx.onAuthError(err)) return;
      const list = err instanceof ApiError ? (err.details?.issues as SpecIssue[] | undefined) : undefined;
      if (list && list.length > 0) {
        setIssues(list);
        setError(new ApiError((err as ApiError).status, (err as ApiError).code, `The spec has ${list.length === 1 ? 'a problem' : `${list.length} problems`}; nothing was launched.`));
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const goTo = (issue: SpecIssue) => {
    const ta = editor.current;
    if (!ta || issue.line === undefined) return;
    const from = offsetOfLine(yaml, issue.line);
    const nl = yaml.indexOf('\n', from);
    ta.focus();
    ta.setSelectionRange(from, nl === -1 ? yaml.length : nl);
    // Scroll the line into view: lines are a fixed height in the monospace editor.
    const lineHeight = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    ta.scrollTop = Math.max(0, (issue.line - 4) * lineHeight);
  };

  return (
    <main class="page">
      <section class="card" aria-labelledby="launch-title">
        <header>
          <h1 id="launch-title">Launch an experiment</h1>
          <span class="muted small">YAML; see specs/demo.yaml for every field with its default</span>
        </header>
        <form class="body stack" onSubmit={launch}>
          <label class="field">
            Spec
            <textarea ref={editor} class="spec-editor" spellcheck={false} value={yaml} onInput={(e) => setYaml((e.target as HTMLTextAreaElement).value)} rows={22} name="spec" aria-describedby="spec-issues" />
          </label>
          {error !== null && (
            <ErrorBanner error={error}>
              {issues.length > 0 && (
                <ul class="issues" id="spec-issues" data-testid="spec-issues">
                  {issues.map((i, n) => (
                    <li key={n}>
                      <button type="button" onClick={() => goTo(i)} disabled={i.line === undefined}>
                        <span class="where">{i.line !== undefined ? `line ${i.line}${i.column !== undefined ? `:${i.column}` : ''}` : 'spec'}</span>
                        <code>{i.path}</code> {i.message}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </ErrorBanner>
          )}
          <div class="row">
            <button class="btn primary large" type="submit" disabled={busy || yaml.trim() === ''}>
              {busy ? 'Launching…' : start ? 'Launch' : 'Record without starting'}
            </button>
            <label class="row small">
              <input type="checkbox" checked={start} onChange={() => setStart(!start)} /> start the workflow now
            </label>
          </div>
        </form>
      </section>
    </main>
  );
}

/**
 * The right-hand panel of the labeling view: overall quality (1–7), InstructGPT's flags, an optional note, the
 * submit button, and the keyboard legend.
 */
import { useState } from 'preact/hooks';
import { Keys } from '../ui/components';

export interface Flags {
  followsInstruction: boolean;
  hallucination: boolean;
  harmful: boolean;
}

export const FLAG_KEYS: Record<keyof Flags, string> = { followsInstruction: 'f', hallucination: 'h', harmful: 'x' };

const FLAG_LABELS: Record<keyof Flags, string> = {
  followsInstruction: 'Follows the instruction',
  hallucination: 'Makes things up (hallucination)',
  harmful: 'Harmful or inappropriate',
};

const QUALITY_WORDS: Record<number, string> = { 1: 'very poor', 2: 'poor', 3: 'weak', 4: 'acceptable', 5: 'good', 6: 'very good', 7: 'excellent' };

export interface RatingPanelProps {
  quality: number | null;
  onQuality(q: number): void;
  flags: Flags;
  onFlag(name: keyof Flags): void;
  note: string;
  onNote(text: string): void;
  canSubmit: boolean;
  /** Why submitting is not possible yet (shown under the button). */
  blockedReason?: string;
  submitting: boolean;
  onSubmit(): void;
  k: number;
}

export function RatingPanel(p: RatingPanelProps) {
  const [noteOpen, setNoteOpen] = useState(p.note !== '');
  return (
    <aside class="side" aria-label="Rating">
      <section class="card">
        <div class="body">
          <h3 id="quality-label">Overall quality of the best completion</h3>
          <div
            class="quality"
            role="radiogroup"
            aria-labelledby="quality-label"
            data-testid="quality"
            onKeyDown={(e) => {
              if (/^[1-7]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
                e.preventDefault();
                e.stopPropagation();
                p.onQuality(Number(e.key));
                (e.currentTarget.querySelector(`input[value="${e.key}"]`) as HTMLInputElement | null)?.focus();
              }
            }}
          >
            {[1, 2, 3, 4, 5, 6, 7].map((q) => (
              <label key={q} title={QUALITY_WORDS[q]}>
                <input type="radio" name="quality" value={q} checked={p.quality === q} onChange={() => p.onQuality(q)} aria-label={`${q}: ${QUALITY_WORDS[q]}`} />
                <span>{q}</span>
              </label>
            ))}
          </div>
          <div class="quality-scale" aria-hidden="true">
            <span>1 very poor</span>
            <span>7 excellent</span>
          </div>

          <h3>About the best completion</h3>
          <div class="flags">
            {(Object.keys(FLAG_LABELS) as (keyof Flags)[]).map((name) => (
              <label key={name} class={p.flags[name] ? 'on' : ''}>
                <input type="checkbox" checked={p.flags[name]} onChange={() => p.onFlag(name)} data-flag={name} />
                {FLAG_LABELS[name]}
                <kbd aria-hidden="true">{FLAG_KEYS[name].toUpperCase()}</kbd>
              </label>
            ))}
          </div>

          {noteOpen ? (
            <label class="field">
              Note <span class="hint">optional, seen by admins, never used for training</span>
              <textarea rows={2} maxLength={2000} value={p.note} onInput={(e) => p.onNote((e.target as HTMLTextAreaElement).value)} />
            </label>
          ) : (
            <button type="button" class="btn link note-toggle" onClick={() => setNoteOpen(true)}>
              Add a note
            </button>
          )}

          <div class="submit-row">
            <button type="button" class="btn primary large" disabled={!p.canSubmit || p.submitting} onClick={p.onSubmit} data-testid="submit" aria-keyshortcuts="Enter">
              {p.submitting ? 'Submitting…' : 'Submit ranking'} <kbd aria-hidden="true">Enter</kbd>
            </button>
            <div class="why" aria-live="polite">
              {p.blockedReason ?? ''}
            </div>
          </div>
        </div>
      </section>

      <section class="card" aria-labelledby="legend-title">
        <div class="body">
          <h3 id="legend-title">Keyboard</h3>
          <dl class="legend">
            <dt>
              <Keys keys={['↑', '↓']} />
            </dt>
            <dd>choose a completion</dd>
            <dt>
              <Keys keys={['Shift', '↑', '↓']} />
            </dt>
            <dd>move it up / down</dd>
            <dt>
              <Keys keys={[`1–${Math.min(9, p.k)}`]} />
            </dt>
            <dd>move it to that rank</dd>
            <dt>
              <Keys keys={['=']} />
            </dt>
            <dd>equal to the one below (again: undo)</dd>
            <dt>
              <Keys keys={['Q']} />
            </dt>
            <dd>go to quality, then 1–7</dd>
            <dt>
              <Keys keys={['F', 'H', 'X']} />
            </dt>
            <dd>toggle the flags</dd>
            <dt>
              <Keys keys={['Esc']} />
            </dt>
            <dd>back to the completions</dd>
            <dt>
              <Keys keys={['Enter']} />
            </dt>
            <dd>submit and get the next task</dd>
          </dl>
        </div>
      </section>
    </aside>
  );
}

/**
 * The K completions as a ranked list, best first. Reordered by keyboard (the legend in rating-panel.tsx) or by
 * dragging with pointer events (mouse, pen, touch) with a drop indicator; ties are toggled on the gap between two
 * neighbours (= key, or the button in the gap). Focus is a roving tab stop: one completion is tabbable, the arrows
 * move between them, and a live region says what changed.
 */
import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { displayRanks, dropIndex, isTied, moveDown, moveTo, moveUp, toggleTie, type RankingState } from './ranking-state';

export interface RankingListProps {
  /** id → text and stable letter (A, B, … in the order the server showed them). */
  samples: Map<string, { text: string; letter: string }>;
  state: RankingState;
  onChange(next: RankingState, announce: string): void;
  focusIndex: number;
  onFocusIndex(i: number): void;
  /** Bumped by the parent to move keyboard focus into the list (new task, Escape from elsewhere). */
  focusToken: number;
  disabled?: boolean;
}

interface Drag {
  pointerId: number;
  from: number;
  startY: number;
  dy: number;
  active: boolean;
  /** Item rectangles relative to the list, captured when the drag began. */
  rects: { top: number; bottom: number; mid: number }[];
  target: number;
}

const DRAG_THRESHOLD_PX = 5;
/** Height of the gap row between two completions (.gap in styles.css). */
const GAP_PX = 26;

export function RankingList({ samples, state, onChange, focusIndex, onFocusIndex, focusToken, disabled }: RankingListProps) {
  const listRef = useRef<HTMLDivElement>(null);
  const itemRefs = useRef<(HTMLDivElement | null)[]>([]);
  const [drag, setDrag] = useState<Drag | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const ranks = displayRanks(state);
  const k = state.order.length;
  const letter = (id: string) => samples.get(id)?.letter ?? '?';

  useLayoutEffect(() => {
    if (focusToken > 0) itemRefs.current[focusIndex]?.focus({ preventScroll: false });
    // focusIndex deliberately omitted: only an explicit request moves focus here
  }, [focusToken]);

  // After a move the focused element has been moved in the DOM, which blurs it: focus it again synchronously after
  // the render, before the next key event is dispatched (a key pressed in between would otherwise go nowhere).
  const refocus = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (refocus.current === null) return;
    itemRefs.current[refocus.current]?.focus();
    refocus.current = null;
  });

  const focusItem = (i: number) => {
    const j = Math.max(0, Math.min(k - 1, i));
    onFocusIndex(j);
    itemRefs.current[j]?.focus();
  };

  const apply = (next: RankingState, id: string, verb: string) => {
    const at = next.order.indexOf(id);
    refocus.current = at;
    onChange(next, `${letter(id)} ${verb}: now rank ${displayRanks(next)[at]} of ${k}`);
    onFocusIndex(at);
  };

  const onKeyDown = (e: KeyboardEvent, i: number) => {
    if (disabled || e.ctrlKey || e.metaKey || e.altKey) return;
    const id = state.order[i];
    const key = e.key;
    let handled = true;
    if ((key === 'ArrowUp' || key === 'K') && e.shiftKey) apply(moveUp(state, i), id, 'moved up');
    else if ((key === 'ArrowDown' || key === 'J') && e.shiftKey) apply(moveDown(state, i), id, 'moved down');
    else if (key === 'ArrowUp' || key === 'k') focusItem(i - 1);
    else if (key === 'ArrowDown' || key === 'j') focusItem(i + 1);
    else if (key === 'Home') focusItem(0);
    else if (key === 'End') focusItem(k - 1);
    else if (/^[1-9]$/.test(key) && Number(key) <= k) apply(moveTo(state, i, Number(key) - 1), id, 'moved');
    else if (key === '=' || key === 't') {
      const gap = i < k - 1 ? i : i - 1;
      const next = toggleTie(state, gap);
      const a = letter(state.order[gap]);
      const b = letter(state.order[gap + 1]);
      onChange(next, next.tied[gap] ? `${a} and ${b} are now equal` : `${a} and ${b} are no longer equal`);
    } else handled = false;
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  // ------------------------------------------------------------------ pointer dragging
  const onPointerDown = (e: PointerEvent, i: number) => {
    if (disabled || e.button !== 0 || (e.target as HTMLElement).closest('button')) return;
    const list = listRef.current;
    if (!list) return;
    const base = list.getBoundingClientRect().top;
    const rects = itemRefs.current.slice(0, k).map((el) => {
      const r = (el as HTMLDivElement).getBoundingClientRect();
      return { top: r.top - base, bottom: r.bottom - base, mid: (r.top + r.bottom) / 2 - base };
    });
    const d: Drag = { pointerId: e.pointerId, from: i, startY: e.clientY, dy: 0, active: false, rects, target: i };
    dragRef.current = d;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    onFocusIndex(i);
  };

  const onPointerMove = (e: PointerEvent) => {
    const d = dragRef.current;
    if (!d || e.pointerId !== d.pointerId) return;
    const dy = e.clientY - d.startY;
    if (!d.active && Math.abs(dy) < DRAG_THRESHOLD_PX) return;
    const list = listRef.current as HTMLDivElement;
    const y = e.clientY - list.getBoundingClientRect().top;
    const next: Drag = { ...d, dy, active: true, target: dropIndex(d.rects.map((r) => r.mid), y, d.from) };
    dragRef.current = next;
    setDrag(next);
    e.preventDefault();
  };

  const endDrag = (e: PointerEvent, commit: boolean) => {
    const d = dragRef.current;
    if (!d || e.pointerId !== d.pointerId) return;
    dragRef.current = null;
    setDrag(null);
    if (commit && d.active) {
      const id = state.order[d.from];
      if (d.target !== d.from || isTied(state, d.from)) apply(moveTo(state, d.from, d.target), id, 'dropped');
    } else if (!d.active) {
      itemRefs.current[d.from]?.focus();
    }
  };

  useEffect(() => {
    if (!drag) return;
    const cancel = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        dragRef.current = null;
        setDrag(null);
      }
    };
    window.addEventListener('keydown', cancel, true);
    return () => window.removeEventListener('keydown', cancel, true);
  }, [drag !== null]);

  /**
   * While dragging, the other completions make room (those between the origin and the target slide by the dragged
   * one's height plus a gap) and a dashed slot — the drop indicator — marks where it will land.
   */
  const layout = (() => {
    if (!drag?.active) return null;
    const { target, from, rects } = drag;
    const step = rects[from].bottom - rects[from].top + GAP_PX;
    const shift = (j: number) => (j === from ? 0 : from < j && j <= target ? -step : target <= j && j < from ? step : 0);
    const height = rects[from].bottom - rects[from].top;
    const top = target < from ? rects[target].top : target > from ? rects[target].bottom - height : rects[from].top;
    return { shift, slot: { top, height } };
  })();

  return (
    <div class={`ranklist${drag?.active ? ' is-dragging' : ''}`} ref={listRef} role="list" aria-label="Completions, best first" aria-describedby="rank-help">
      {layout && <div class="drop-slot" style={{ top: `${layout.slot.top}px`, height: `${layout.slot.height}px` }} data-testid="drop-indicator" aria-hidden="true" />}
      {state.order.map((id, i) => {
        const s = samples.get(id);
        const tied = isTied(state, i);
        const dragging = drag?.active && drag.from === i;
        return (
          <Fragment key={id}>
            {i > 0 && (
              <div class={`gap${state.tied[i - 1] ? ' tied' : ''}`}>
                <button
                  type="button"
                  class="tie-toggle"
                  tabIndex={-1}
                  disabled={disabled}
                  aria-pressed={state.tied[i - 1]}
                  aria-label={state.tied[i - 1] ? `${letter(state.order[i - 1])} and ${letter(id)} are equal; click to untie` : `Mark ${letter(state.order[i - 1])} and ${letter(id)} as equal`}
                  onClick={() => {
                    const next = toggleTie(state, i - 1);
                    onChange(next, next.tied[i - 1] ? `${letter(state.order[i - 1])} and ${letter(id)} are now equal` : `${letter(state.order[i - 1])} and ${letter(id)} are no longer equal`);
                  }}
                >
                  {state.tied[i - 1] ? '= equal' : 'mark equal'}
                </button>
              </div>
            )}
            <div
              ref={(el) => {
                itemRefs.current[i] = el;
              }}
              role="listitem"
              tabIndex={i === focusIndex ? 0 : -1}
              class={`rank-item${i === focusIndex ? ' focused' : ''}${tied ? ' tied' : ''}${dragging ? ' dragging' : ''}`}
              style={dragging ? { transform: `translateY(${drag.dy}px)` } : layout ? { transform: `translateY(${layout.shift(i)}px)` } : undefined}
              aria-label={`Rank ${ranks[i]}${tied ? ' (equal)' : ''} of ${k}: completion ${s?.letter ?? ''}`}
              data-sample-id={id}
              data-testid="rank-item"
              onKeyDown={(e) => onKeyDown(e as KeyboardEvent, i)}
              onFocus={() => onFocusIndex(i)}
              onPointerDown={(e) => onPointerDown(e as PointerEvent, i)}
              onPointerMove={(e) => onPointerMove(e as PointerEvent)}
              onPointerUp={(e) => endDrag(e as PointerEvent, true)}
              onPointerCancel={(e) => endDrag(e as PointerEvent, false)}
            >
              <span class="grip" aria-hidden="true">⋮⋮</span>
              <div class="rank-badge" aria-hidden="true">
                <span class="rank">{ranks[i]}</span>
                <span class="letter">{s?.letter}</span>
              </div>
              <div class="rank-text">{s?.text}</div>
              <div class="rank-moves">
                <button type="button" tabIndex={-1} disabled={disabled || (i === 0 && !tied)} aria-label={`Move ${s?.letter} up`} onClick={() => apply(moveUp(state, i), id, 'moved up')}>
                  ▲
                </button>
                <button type="button" tabIndex={-1} disabled={disabled || (i === k - 1 && !tied)} aria-label={`Move ${s?.letter} down`} onClick={() => apply(moveDown(state, i), id, 'moved down')}>
                  ▼
                </button>
              </div>
            </div>
          </Fragment>
        );
      })}
    </div>
  );
}

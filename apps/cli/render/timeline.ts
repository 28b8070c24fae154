import type { AuditEventRow } from '../api-types';

/** The few facts of an event worth a glance, by action. */
function summary(e: AuditEventRow): string {
  const d = e.data ?? {};
  const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  switch (e.action) {
    case 'experiment.status_changed':
      return `${s(d.from)} → ${s(d.to)}${d.phase ? ` (phase ${s(d.phase)})` : ''}${d.reason ? `: ${s(d.reason)}` : ''}${d.error ? ` ${s(d.error)}` : ''}`;
    case 'artifact.registered':
      return `${s(d.kind)} ${shortKey(s(d.key))}`;
    case 'samples.stored':
      return `round ${Number(d.roundIndex) + 1}: ${s(d.prompts)} prompts × ${s(d.completionsPerPrompt)} completions`;
    case 'round.summarized':
      return `round ${Number(d.roundIndex) + 1}: ${s(d.rankings)} rankings (closed by ${s(d.closedBy)}), RM held-out acc ${fmt(d.heldoutAccuracy)}, win rate ${fmt(d.winRate)}, KL ${fmt(d.klMean)}`;
    case 'round.opened':
      return `round ${Number(d.roundIndex) + 1}: ${s(d.tasks)} tasks, quorum ${s(d.quorum)}, deadline ${s(d.deadline)}`;
    case 'round.closed':
      return `${d.roundIndex !== undefined ? `round ${Number(d.roundIndex) + 1} ` : ''}closed (${s(d.reason ?? d.closeReason)})`;
    case 'training.resumed':
      return `${s(d.trainer)} attempt ${s(d.attempt)} resumed from ${s(d.fromIteration ?? d.fromStep)} (${s(d.source)})`;
    default: {
      const text = JSON.stringify(d);
      return text === '{}' ? '' : text.length > 140 ? `${text.slice(0, 137)}…` : text;
    }
  }
}

/** Store keys start with the workflow id; within one experiment's trail that prefix says nothing. */
function shortKey(key: string): string {
  return key.replace(/^experiment-[0-9a-f-]+\//, '');
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? String(Number(v.toFixed(3))) : String(v);
}

/** Who did it, readably: a labeler's name, or the actor string. */
function who(e: AuditEventRow): string {
  return e.actorName ? `${e.actorName}` : e.actor.replace(/^workflow:experiment-[0-9a-f-]+$/, 'workflow');
}

/**
 * The audit trail as `time  who  action  facts` lines. Unless `all`, runs of the same action by labelers
 * (rankings, claims) are folded into one line with a count per labeler.
 */
export function renderTimeline(events: AuditEventRow[], all = false): string[] {
  const lines: string[] = [];
  // Labelers' work: one line per uninterrupted stretch, with counts by action and rankings by labeler.
  const folds = new Set(['ranking.submitted', 'task.assigned', 'assignment.expired']);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!all && folds.has(e.action)) {
      let j = i;
      const actions = new Map<string, number>();
      const rankingsBy = new Map<string, number>();
      while (j < events.length && folds.has(events[j].action)) {
        const x = events[j];
        actions.set(x.action, (actions.get(x.action) ?? 0) + 1);
        if (x.action === 'ranking.submitted') rankingsBy.set(who(x), (rankingsBy.get(who(x)) ?? 0) + 1);
        j++;
      }
      const counts = [...actions.entries()].map(([a, n]) => `${a} ×${n}`).join(', ');
      const by = [...rankingsBy.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
      lines.push(`${e.at}  labelers  ${counts}${by ? ` (rankings: ${by})` : ''}${j - i > 1 ? ` until ${events[j - 1].at}` : ''}`);
      i = j - 1;
      continue;
    }
    lines.push(`${e.at}  ${who(e)}  ${e.action}  ${summary(e)}`.trimEnd());
  }
  return lines;
}

import type { AuditEventRow } from '../api-types';

/** The few facts of an event worth a glance, by action. */
function summary(e: AuditEventRow): string {
  const d = e.data ?? {};
  const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  switch (e.action) {
    case 'experiment.status_changed':
      return `${s(d.from)} → ${s(d.to)}${d.phase ? ` (phase ${s(d.phase)})` : ''}${d.reason ? `: ${s(d.reason)}` : ''}${d.error ? ` ${s(d.error)}` : ''}`;
    case 'artifact.registered':
      return `${s(d.kind)} ${s(d.key)}`;
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
  const folds = new Set(['ranking.submitted', 'task.claimed', 'task.assigned', 'assignment.created', 'assignment.expired']);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!all && folds.has(e.action)) {
      let j = i;
      const per = new Map<string, number>();
      while (j < events.length && events[j].action === e.action) {
        per.set(who(events[j]), (per.get(who(events[j])) ?? 0) + 1);
        j++;
      }
      const by = [...per.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
      lines.push(`${e.at}  ${e.action} ×${j - i}  (${by})${j - i > 1 ? ` until ${events[j - 1].at}` : ''}`);
      i = j - 1;
      continue;
    }
    lines.push(`${e.at}  ${who(e)}  ${e.action}  ${summary(e)}`.trimEnd());
  }
  return lines;
}

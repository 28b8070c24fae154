import { JSON_FLAG, parseCommand, positiveInt } from '../cli-args';
import { adminApi, type CliContext } from '../cli-context';
import { UsageError } from '../cli-error';

type Action = 'pause' | 'resume' | 'cancel' | 'extend' | 'close-round';

const USAGES: Record<Action, string> = {
  pause: 'hone pause <experiment-id> [--reason text] [--json]',
  resume: 'hone resume <experiment-id> [--reason text] [--json]',
  cancel: 'hone cancel <experiment-id> [--reason text] [--json]',
  extend: 'hone extend <experiment-id> <additional-rounds> [--reason text] [--json]',
  'close-round': 'hone close-round <experiment-id> [--round index] [--reason text] [--json]',
};

/** `hone pause|resume|cancel|extend|close-round`: a workflow Update through the API; the workflow's answer is printed. */
export async function steerCommand(ctx: CliContext, action: Action, argv: string[]): Promise<number> {
  const extend = action === 'extend';
  const { values, positionals } = parseCommand(argv, { ...JSON_FLAG, reason: { type: 'string' }, round: { type: 'string' } }, { min: extend ? 2 : 1, max: extend ? 2 : 1 }, USAGES[action]);
  const id = positionals[0];
  const body: Record<string, unknown> = {};
  if (values.reason) body.reason = values.reason;
  if (extend) body.additionalRounds = positiveInt(positionals[1], 'additional-rounds');
  if (values.round !== undefined) {
    if (action !== 'close-round') throw new UsageError(`--round applies to close-round only\nusage: ${USAGES[action]}`);
    const n = Number(values.round);
    if (!/^\d+$/.test(values.round)) throw new UsageError(`--round must be a 0-based round index (got ${JSON.stringify(values.round)})`);
    body.roundIndex = n;
  }
  const path = `/api/v1/experiments/${encodeURIComponent(id)}/${extend ? 'extend-rounds' : action}`;
  const answer = await adminApi(ctx).post<{ experimentId: string; action: string; result: Record<string, unknown> }>(path, body);
  if (values.json) {
    ctx.stdout(`${JSON.stringify(answer)}\n`);
    return 0;
  }
  const r = answer.result;
  const said: Record<Action, () => string> = {
    pause: () => `paused ${id} (takes effect at the next step boundary; an open labeling round stops handing out tasks at once)`,
    resume: () => `resumed ${id}`,
    cancel: () => `cancel requested for ${id}: the running step stops and the experiment ends as cancelled`,
    extend: () => `${id} now has ${String(r.roundsTotal)} rounds`,
    'close-round': () => `closed round ${String(r.roundIndex)} of ${id} with ${String(r.completedTasks)} completed tasks`,
  };
  ctx.stdout(`${said[action]()}\n`);
  return 0;
}

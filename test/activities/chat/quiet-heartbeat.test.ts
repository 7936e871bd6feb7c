import { expect, it } from 'vitest';
import { quietHeartbeat } from '../../../src/activities/chat/quiet-heartbeat';

it('sends no heartbeat during the quiet time, and every one after it', () => {
  const sent: unknown[] = [];
  const activity = { heartbeat: (details?: unknown) => void sent.push(details) };
  const quiet = quietHeartbeat(activity, 60_000);
  quiet({ step: 0 });
  quiet({ step: 0 });
  expect(sent).toEqual([]);
  const after = quietHeartbeat(activity, 0);
  after({ step: 1 });
  after({ step: 2 });
  expect(sent).toEqual([{ step: 1 }, { step: 2 }]);
});

/**
 * One page action at a time: `run` marks the page busy, clears the last error, and shows the
 * action's failure as the page's error instead of an unhandled rejection.
 */
import { useState } from 'preact/hooks';

export function useBusyAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/**
 * A list read in cursor pages whose first page is asked for again every few seconds, so a row
 * made while the page is open appears without a reload; older pages, once fetched, stay. A row
 * that moved up into the first page is shown once.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { useBusyAction } from './busy-action';

/** How often the newest page is asked for again (a light poll: one indexed query per open page). */
export const POLL_MS = 3000;

type Query = Record<string, string | undefined>;

export function usePolledPages<Page extends { next_cursor: string | null }, Row>(options: {
  path: string;
  /** The list's filters; a change starts the list again from its first page. */
  filters: Query;
  ready: boolean;
  rows: (page: Page) => Row[];
  id: (row: Row) => string;
}) {
  const { path, filters, ready, rows, id } = options;
  const [first, setFirst] = useState<Page | null>(null);
  const [older, setOlder] = useState<Page[]>([]);
  const { busy, error, setError, run } = useBusyAction();
  const key = JSON.stringify(filters);

  useEffect(() => {
    setFirst(null);
    setOlder([]);
    if (!ready) return;
    let stopped = false;
    const load = async () => {
      try {
        const page = await get<Page>(path, filters);
        if (stopped) return;
        setFirst(page);
        setError('');
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [path, key, ready]);

  const last = older.at(-1) ?? first;
  const more = () => run(async () => {
    const cursor = last?.next_cursor;
    if (cursor) setOlder([...older, await get<Page>(path, { ...filters, cursor })]);
  });

  const seen = new Set<string>();
  const list = [first, ...older].flatMap((page) => (page ? rows(page) : [])).filter((row) => !seen.has(id(row)) && Boolean(seen.add(id(row))));
  return { loaded: first !== null, rows: list, hasMore: Boolean(last?.next_cursor), more, busy, error };
}

/**
 * The console's pages and in-page navigation (History API; the API serves index.html for every
 * path under /console/, so a reload or a shared link opens the same page). A page owns its path and
 * everything under it (`/console/chats/<chat_id>` is the Chats page showing one chat).
 */
import { useEffect, useState } from 'preact/hooks';

export const PAGES = [
  { path: '/console/', title: 'Overview' },
  { path: '/console/apps', title: 'Apps' },
  { path: '/console/chats', title: 'Chats' },
  { path: '/console/packs', title: 'Packs' },
  { path: '/console/analytics', title: 'Analytics' },
  { path: '/console/incidents', title: 'Incidents' },
  { path: '/console/audit', title: 'Audit' },
] as const;

export type PagePath = (typeof PAGES)[number]['path'];

export function pageOf(pathname: string): PagePath {
  const found = PAGES.find((page) => page.path !== '/console/' && (pathname === page.path || pathname.startsWith(`${page.path}/`)));
  return found?.path ?? '/console/';
}

const LOCATION_CHANGED = 'tessera:location';

/** Go to a console path (with its query) without a reload. */
export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  dispatchEvent(new Event(LOCATION_CHANGED));
}

/** A click handler for an in-console link: plain clicks navigate in place, modified clicks open a tab. */
export const linkTo = (to: string) => (event: MouseEvent) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
};

/** The current path and query, re-rendering on navigation and on Back/Forward. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const read = () => ({ pathname: location.pathname, search: new URLSearchParams(location.search) });
  const [where, setWhere] = useState(read);
  useEffect(() => {
    const onChange = () => setWhere(read());
    addEventListener('popstate', onChange);
    addEventListener(LOCATION_CHANGED, onChange);
    return () => {
      removeEventListener('popstate', onChange);
      removeEventListener(LOCATION_CHANGED, onChange);
    };
  }, []);
  return where;
}

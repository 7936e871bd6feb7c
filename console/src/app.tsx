import { useEffect, useState } from 'preact/hooks';
import { AnalyticsPage } from './analytics';
import { call, rememberSession, type Session } from './api';
import { AuditPage } from './audit';
import { OverviewPage } from './overview';
import { SignIn } from './sign-in';

const PAGES = [
  { path: '/console/', title: 'Overview' },
  { path: '/console/audit', title: 'Audit' },
  { path: '/console/analytics', title: 'Analytics' },
] as const;

type PagePath = (typeof PAGES)[number]['path'];

function pageOf(pathname: string): PagePath {
  return PAGES.find((page) => page.path === pathname)?.path ?? '/console/';
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [page, setPage] = useState<PagePath>(pageOf(location.pathname));

  useEffect(() => {
    call<Session>('GET', '/console/api/session')
      .then((s) => signedIn(s))
      .catch(() => signedIn(null));
    const onPop = () => setPage(pageOf(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    document.title = `${PAGES.find((p) => p.path === page)?.title ?? 'Overview'} · Tessera console`;
  }, [page]);

  const signedIn = (s: Session | null) => {
    rememberSession(s);
    setSession(s);
  };

  const go = (path: PagePath) => (event: MouseEvent) => {
    event.preventDefault();
    history.pushState(null, '', path);
    setPage(path);
  };

  const signOut = async () => {
    try {
      await call('POST', '/console/api/sign-out');
    } finally {
      signedIn(null);
    }
  };

  if (session === undefined) return <main><p>Loading…</p></main>;
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  return (
    <>
      <header class="bar">
        <span class="brand">Tessera console</span>
        <nav aria-label="Console pages">
          {PAGES.map((p) => (
            <a href={p.path} onClick={go(p.path)} aria-current={p.path === page ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="who">{session.kind === 'admin' ? 'admin' : `app ${session.app_id ?? ''}`}</span>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main>
        {page === '/console/' && <OverviewPage session={session} />}
        {page === '/console/audit' && <AuditPage session={session} />}
        {page === '/console/analytics' && <AnalyticsPage session={session} />}
      </main>
    </>
  );
}

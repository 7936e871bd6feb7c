import { useEffect, useState } from 'preact/hooks';
import { AnalyticsPage } from './analytics';
import { call, rememberSession, type Session } from './api';
import { AppsPage } from './apps';
import { AuditPage } from './audit';
import { ChatsPage } from './chats';
import { ApprovalsBadge, IncidentsPage } from './incidents';
import { OverviewPage } from './overview';
import { PacksPage } from './packs';
import { linkTo, PAGES, pageOf, useLocation, type PagePath } from './router';
import { SignIn } from './sign-in';

const PAGE_COMPONENTS: Record<PagePath, (props: { session: Session }) => preact.JSX.Element | null> = {
  '/console/': OverviewPage,
  '/console/apps': AppsPage,
  '/console/chats': ChatsPage,
  '/console/packs': PacksPage,
  '/console/analytics': AnalyticsPage,
  '/console/incidents': IncidentsPage,
  '/console/audit': AuditPage,
};

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const { pathname } = useLocation();
  const page = pageOf(pathname);

  useEffect(() => {
    call<Session>('GET', '/v1/console/session')
      .then((s) => signedIn(s))
      .catch(() => signedIn(null));
  }, []);

  useEffect(() => {
    document.title = `${PAGES.find((p) => p.path === page)?.title ?? 'Overview'} · Tessera console`;
  }, [page]);

  const signedIn = (s: Session | null) => {
    rememberSession(s);
    setSession(s);
  };

  const signOut = async () => {
    try {
      await call('DELETE', '/v1/console/session');
    } finally {
      signedIn(null);
    }
  };

  if (session === undefined) return <main><p>Loading…</p></main>;
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  const Page = PAGE_COMPONENTS[page];
  return (
    <>
      <header class="bar">
        <span class="brand">Tessera console</span>
        <nav aria-label="Console pages">
          {PAGES.map((p) => (
            <a href={p.path} onClick={linkTo(p.path)} aria-current={p.path === page ? 'page' : undefined}>
              {p.title}
              {p.path === '/console/incidents' && <ApprovalsBadge session={session} />}
            </a>
          ))}
        </nav>
        <span class="who">{session.kind === 'admin' ? 'admin' : `app ${session.app_id ?? ''}`}</span>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main>
        <Page session={session} />
      </main>
    </>
  );
}

import { useState } from 'preact/hooks';
import { ApiError, call, type Session } from './api';

/** The key is sent once, to be exchanged for the session cookie, and kept nowhere. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await call<Session>('POST', '/v1/console/session', { key });
      setKey('');
      onSignedIn(session);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'That key is not one the API takes.' : String((e as Error).message));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Tessera console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="key">Admin key or app key</label>
        <input id="key" name="key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy}>Sign in</button>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
      <p class="hint">The key is exchanged for a session cookie (8 hours); the page keeps no key.</p>
    </main>
  );
}

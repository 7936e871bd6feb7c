/**
 * The console's calls: same-origin `fetch` with the session cookie (the browser sends it; the page
 * never sees it). Writes carry the session's CSRF token, kept in memory only (never localStorage),
 * and fetched again from `GET /v1/console/session` after a reload.
 */
export interface Session {
  kind: 'admin' | 'app';
  app_id?: string;
  csrf_token: string;
  expires_at: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function rememberSession(session: Session | null): void {
  csrfToken = session?.csrf_token ?? '';
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

export const get = <T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, value);
  const qs = params.toString();
  return call<T>('GET', qs ? `${path}?${qs}` : path);
};

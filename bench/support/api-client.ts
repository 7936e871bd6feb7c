/** A bench's HTTP client for the API: calls with a bearer key, and JSON bodies checked for success. */
export interface Api {
  url: string;
  call(method: string, route: string, key: string, body?: unknown): Promise<Response>;
}

export async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export function apiClient(url: string): Api {
  return {
    url,
    call: (method, route, key, body) =>
      fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

/**
 * Which URLs the `http_get` tool may fetch. The allowlist names hosts: `example.com` allows exactly
 * that host, `*.example.com` any subdomain of it (not the bare domain). Anything that does not
 * parse, or is not plain http(s) without credentials, is refused. Hosts are compared after the
 * WHATWG URL parser has normalized them (case, punycode, IP forms), the same parser fetch uses,
 * so the host checked is the host that would be contacted.
 */

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

export function isUrlAllowed(url: string, allowlist: readonly string[]): boolean {
  if (typeof url !== 'string') return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) return false;
  if (parsed.username !== '' || parsed.password !== '') return false;
  const host = withoutTrailingDot(parsed.hostname);
  if (host === '') return false;
  return allowlist.some((entry) => entryMatches(entry, host));
}

function entryMatches(entry: string, host: string): boolean {
  const text = entry.trim();
  if (text.startsWith('*.')) {
    const domain = normalizeHost(text.slice(2));
    // IP addresses have no subdomains: `*.0.0.1` must not match 127.0.0.1.
    return domain !== undefined && !isIpLiteral(host) && host.endsWith(`.${domain}`);
  }
  return normalizeHost(text) === host;
}

/** The entry as the URL parser would spell its host, or undefined when it is not a bare host. */
function normalizeHost(entry: string): string | undefined {
  // A port, path, credentials, query or stray wildcard means the entry is not a host name.
  if (entry === '' || /[\s/\\@?#*%]/.test(entry)) return undefined;
  if (entry.includes(':') && !(entry.startsWith('[') && entry.endsWith(']'))) return undefined;
  try {
    const host = withoutTrailingDot(new URL(`http://${entry}`).hostname);
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}

function withoutTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^[0-9.]+$/.test(host);
}

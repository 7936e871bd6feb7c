import { describe, expect, it } from 'vitest';
import { isUrlAllowed } from '../../../src/domain/tools/http-allowlist';

const allowlist = ['example.com', '*.docs.example.org', 'API.Service.io', '127.0.0.1', '[::1]'];

describe('isUrlAllowed', () => {
  it.each([
    'https://example.com',
    'http://example.com/path?q=1#frag',
    'https://EXAMPLE.com/',
    'https://example.com:8443/x',
    'https://example.com./',
    'https://a.docs.example.org/page',
    'https://a.b.docs.example.org/page',
    'https://api.service.io/v1',
    'http://127.0.0.1:8080/',
    'http://[::1]:3000/',
  ])('allows %s', (url) => {
    expect(isUrlAllowed(url, allowlist)).toBe(true);
  });

  it.each([
    ['a subdomain of an exact entry', 'https://www.example.com/'],
    ['a look-alike suffix', 'https://evilexample.com/'],
    ['the host as a prefix', 'https://example.com.evil.net/'],
    ['the bare domain of a wildcard', 'https://docs.example.org/'],
    ['a sibling of a wildcard', 'https://x.example.org/'],
    ['a suffix match without a dot', 'https://evildocs.example.org/'],
    ['credentials', 'https://user:pass@example.com/'],
    ['a user name', 'https://user@example.com/'],
    ['credentials hiding the real host', 'https://example.com@evil.net/'],
    ['ftp', 'ftp://example.com/file'],
    ['file', 'file:///etc/passwd'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/plain,hello'],
    ['a relative URL', '/etc/passwd'],
    ['a scheme-less host', 'example.com'],
    ['garbage', 'not a url'],
    ['an empty string', ''],
    ['another IP', 'http://10.0.0.1/'],
    ['another IPv6', 'http://[::2]/'],
    ['a numeric spelling of an unlisted IP', 'http://167772161/'],
  ])('refuses %s', (_why, url) => {
    expect(isUrlAllowed(url, allowlist)).toBe(false);
  });

  it('matches IP literals after normalization', () => {
    // 0x7f.1 and 2130706433 are spellings of 127.0.0.1: the parser resolves them, so does the check.
    expect(isUrlAllowed('http://2130706433/', ['127.0.0.1'])).toBe(true);
    expect(isUrlAllowed('http://0x7f.1/', ['127.0.0.1'])).toBe(true);
  });

  it('does not let a wildcard match IP addresses', () => {
    expect(isUrlAllowed('http://127.0.0.1/', ['*.0.0.1'])).toBe(false);
  });

  it('matches internationalized names in either spelling', () => {
    expect(isUrlAllowed('https://bücher.example/', ['xn--bcher-kva.example'])).toBe(true);
    expect(isUrlAllowed('https://xn--bcher-kva.example/', ['bücher.example'])).toBe(true);
  });

  it('ignores entries that are not host names', () => {
    for (const entry of ['*', '', '  ', 'https://example.com', 'example.com:443', 'example.com/path', 'user@example.com', 'ex*ample.com', '*.*.com']) {
      expect(isUrlAllowed('https://example.com/', [entry])).toBe(false);
    }
  });

  it('refuses everything with an empty allowlist', () => {
    expect(isUrlAllowed('https://example.com/', [])).toBe(false);
  });

  it('tolerates whitespace and case in entries', () => {
    expect(isUrlAllowed('https://example.com/', ['  Example.COM  '])).toBe(true);
  });
});

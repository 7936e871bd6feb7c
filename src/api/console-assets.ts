/**
 * The console's built files, compressed once and kept in memory: text files (`.js`, `.css`,
 * `.html`, …) are brotli- and gzip-compressed the first time they are asked for, and each request
 * gets the encoding its `Accept-Encoding` prefers (brotli, then gzip, else as they are), with
 * `Vary: Accept-Encoding`. A file is known by its path, size and modification time, so a rebuilt
 * console (same path, new index.html) is read and compressed again, never served stale.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyReply } from 'fastify';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** What is worth compressing (images and fonts already are). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

export type ContentEncoding = 'br' | 'gzip' | 'identity';

interface ConsoleFile {
  /** `size:mtime`: a changed file is read again. */
  version: string;
  identity: Buffer;
  /** Absent when compressing did not make it smaller (or the type is not compressible). */
  br?: Buffer;
  gzip?: Buffer;
  compressible: boolean;
}

/**
 * The encoding to answer with: the best (brotli, gzip) the client accepts with a non-zero q;
 * `*` stands for any not named. Without the header, or when nothing fits: as it is.
 */
export function preferredEncoding(header: string | undefined): ContentEncoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name) accepted.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weightOf('br') > 0 && weightOf('br') >= weightOf('gzip')) return 'br';
  if (weightOf('gzip') > 0) return 'gzip';
  return 'identity';
}

export class ConsoleFiles {
  private readonly files = new Map<string, Promise<ConsoleFile>>();

  /** The file, compressed as it may be; null when it is not there (or not a file). */
  async read(file: string): Promise<ConsoleFile | null> {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      return null;
    }
    if (!stat.isFile()) return null;
    const version = `${stat.size}:${stat.mtimeMs}`;
    const cached = this.files.get(file);
    if (cached) {
      const known = await cached.catch(() => undefined);
      if (known?.version === version) return known;
    }
    const loading = load(file, version);
    this.files.set(file, loading);
    try {
      return await loading;
    } catch {
      this.files.delete(file);
      return null;
    }
  }

  /** Sends the file in the encoding the request prefers, with the given headers. */
  send(reply: FastifyReply, file: ConsoleFile, headers: Record<string, string>): FastifyReply {
    if (!file.compressible) return reply.headers(headers).send(file.identity);
    const encoding = preferredEncoding(reply.request.headers['accept-encoding']);
    const body = encoding === 'identity' ? undefined : file[encoding];
    void reply.headers({ ...headers, vary: 'accept-encoding' });
    if (body === undefined) return reply.send(file.identity);
    return reply.header('content-encoding', encoding).send(body);
  }
}

async function load(file: string, version: string): Promise<ConsoleFile> {
  const identity = await fs.readFile(file);
  if (!COMPRESSIBLE.has(path.extname(file).toLowerCase())) return { version, identity, compressible: false };
  const [br, gz] = await Promise.all([
    brotli(identity, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
    gzipped(identity, { level: 9 }),
  ]);
  return {
    version,
    identity,
    compressible: true,
    ...(br.length < identity.length ? { br } : {}),
    ...(gz.length < identity.length ? { gzip: gz } : {}),
  };
}

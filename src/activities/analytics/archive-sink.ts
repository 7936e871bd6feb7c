/**
 * Where archived chat messages go: gzip JSONL objects under a key. The default sink is a local
 * directory (under the data directory); an object store plugs in behind the same interface.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface ArchiveSink {
  /** Stores `data` under `key`, replacing an object of the same key (writes are idempotent). */
  put(key: string, data: Buffer): Promise<void>;
  /** The stored bytes, or null. */
  get(key: string): Promise<Buffer | null>;
  describe(): string;
}

const KEY = /^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$/;

export function localDirSink(dir: string): ArchiveSink {
  const file = (key: string) => {
    if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) throw new Error(`bad archive key: ${key}`);
    return path.join(dir, ...key.split('/'));
  };
  return {
    async put(key, data) {
      const target = file(key);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await fs.writeFile(temp, data);
      await fs.rename(temp, target); // never a half-written archive under the final name
    },
    async get(key) {
      try {
        return await fs.readFile(file(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    describe: () => `local directory ${dir}`,
  };
}

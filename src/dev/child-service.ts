/**
 * Runs one embedded service as a child process: refuses a taken port up front (naming the setting
 * that moves it), waits until the service answers, and stops it (SIGTERM, then SIGKILL) on request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly setting: string,
    readonly service: string,
  ) {
    super(
      `port ${port} (needed by ${service}) is already in use on 127.0.0.1: ` +
        `set ${setting} to a free port, or stop whatever listens there`,
    );
    this.name = 'PortInUseError';
  }
}

export interface ChildServiceSpec {
  name: string;
  command: string;
  args: string[];
  /** Ports the service will listen on, each with the setting that moves it. */
  ports: { port: number; setting: string }[];
  /** Resolves true once the service answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** File that receives the child's stdout and stderr. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Run as another user (a root parent starting a server that refuses root). */
  uid?: number;
  gid?: number;
  cwd?: string;
  /** The signal that asks the service to stop (SIGTERM by default; SIGKILL after 8 s). */
  stopSignal?: NodeJS.Signals;
  /** Called once the process is spawned, before it answers (the launcher loads modules then). */
  onSpawn?: () => void;
}

export interface ChildService {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function assertPortFree(port: number, setting: string, service: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new PortInUseError(port, setting, service);
}

/** Asks the OS for a free loopback port (for tests and ephemeral services). */
/**
 * A port nothing listens on for the caller to listen on. Chosen below the OS's range of ephemeral
 * ports (Linux: `ip_local_port_range`) where it can: a port the OS hands out for `listen(0)` comes
 * from that range, and so does every outgoing connection's local port, so another process's
 * connection could take it between this check and the caller's listen (a test saw that once as
 * `EADDRINUSE`). Elsewhere, or when no low port is free after a few tries, the OS picks one.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralRangeStart();
  for (let attempt = 0; low !== undefined && low > LOW_PORTS_FROM + 1000 && attempt < 20; attempt++) {
    const port = LOW_PORTS_FROM + Math.floor(Math.random() * (low - LOW_PORTS_FROM));
    if (await listenable(port)) return port;
  }
  return listenOnce(0);
}

/** Where `freePort` looks below the ephemeral range: above the usual well-known services. */
const LOW_PORTS_FROM = 10_000;

function ephemeralRangeStart(): number | undefined {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined; // not Linux
  }
}

async function listenable(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` (0: any) on 127.0.0.1, closes, and returns the port it got. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function tcpAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startChildService(spec: ChildServiceSpec): Promise<ChildService> {
  for (const { port, setting } of spec.ports) await assertPortFree(port, setting, spec.name);
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const log = fs.openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    stdio: ['ignore', log, log],
    env: spec.env,
    ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
    ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
  });
  fs.closeSync(log);
  spec.onSpawn?.();

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const stop = async () => {
    if (exited || child.exitCode !== null) return;
    child.kill(spec.stopSignal ?? 'SIGTERM');
    const killed = await Promise.race([exit.then(() => true), sleep(8000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exit;
    }
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnError) throw new Error(`${spec.name} could not start (${spec.command}): ${spawnError.message}`);
    if (exited) {
      throw new Error(
        `${spec.name} exited during start-up (code ${exited.code}, signal ${exited.signal}); see ${spec.logFile}`,
      );
    }
    if (await spec.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} did not become ready in time; see ${spec.logFile}`);
    }
    await sleep(100);
  }
  return { name: spec.name, process: child, stop };
}

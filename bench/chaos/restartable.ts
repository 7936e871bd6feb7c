/**
 * A process the chaos harness stops, kills and starts again, as a supervisor (systemd, Kubernetes)
 * would: the same settings (ports, data directory) every time, so clients find it where it was.
 * Every pid it ever had is kept, to check at the end that none outlived the run.
 */
export interface Incarnation {
  pid: number | undefined;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  /** Asks it to stop (gracefully, then by force) and waits. */
  stop(): Promise<void>;
}

export class Restartable {
  readonly pids: number[] = [];
  private current: Incarnation | undefined;

  constructor(
    readonly name: string,
    private readonly launch: () => Promise<Incarnation>,
  ) {}

  get pid(): number | undefined {
    return this.current?.pid;
  }

  async start(): Promise<void> {
    if (this.current) throw new Error(`${this.name} is already running`);
    const started = await this.launch();
    if (started.pid !== undefined) this.pids.push(started.pid);
    this.current = started;
  }

  /** A graceful stop (the service is "down" until start()). */
  async stop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.stop();
  }

  /** SIGKILL, resolving once the process is gone. */
  async kill(): Promise<void> {
    const current = this.current;
    if (current?.pid === undefined) throw new Error(`${this.name} is not running`);
    this.current = undefined;
    process.kill(current.pid, 'SIGKILL');
    await current.exited;
    // Whatever the launcher holds (connections, handles) is released too.
    await current.stop();
  }
}

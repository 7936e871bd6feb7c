/** Polls `probe` until it gives a value (not `undefined`), for `ms` at most; then fails naming `what`.
 * For state another process or workflow reaches on its own; never a timing assertion. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 60_000, everyMs = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

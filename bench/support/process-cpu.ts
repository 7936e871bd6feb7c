/** CPU time of processes from /proc (Linux), for benches that compare what a process tree spent. */
import fs from 'node:fs';

/** Linux's clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`; 100 on every common kernel). */
const CLOCK_TICKS = 100;

/** /proc/<pid>/stat's fields after the command name (field 3 onwards): the name is in
 * parentheses and may hold spaces, so count from after its closing one. */
function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time the process has used so far, in ms (/proc/<pid>/stat fields 14 and 15). */
export function cpuMsOf(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** CPU time so far of `rootPid` and every live descendant, in ms (a process that already exited
 * is not counted: read this while the tree runs). */
export function treeCpuMs(rootPid: number): number {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      parentOf.set(pid, Number(statFields(pid)[1]));
    } catch {
      // gone between the listing and the read
    }
  }
  const inTree = (pid: number): boolean => {
    for (let current: number | undefined = pid; current !== undefined && current > 1; current = parentOf.get(current)) {
      if (current === rootPid) return true;
    }
    return false;
  };
  let ms = 0;
  for (const pid of parentOf.keys()) {
    if (!inTree(pid)) continue;
    try {
      ms += cpuMsOf(pid);
    } catch {
      // exited meanwhile
    }
  }
  return ms;
}

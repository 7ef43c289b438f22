import { readFileSync } from 'node:fs';
import type pg from 'pg';

// Where a benchmark's CPU went (Linux /proc; elsewhere every figure is 0): per process of the bench, per PostgreSQL
// backend of its databases, and the whole machine's busy time. On a machine shared with other work, wall-clock rates
// move with the load; CPU seconds per unit of work do not, and show whether the machine could serve a rate at all.

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of process `pid` so far, or 0 if it cannot be read. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields 14 and 15 (utime, stime) follow the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The machine's busy and total CPU seconds so far, summed over its cores (/proc/stat's first line). */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = ticks[3] + ticks[4]; // idle, iowait
    const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU seconds of the PostgreSQL backends connected to `databases` now, by pid (the server must be on this machine). */
export async function backendCpuSeconds(client: pg.Client, databases: string[]): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>(`select pid from pg_stat_activity where datname = any($1::text[])`, [databases]);
  return new Map(rows.map((row) => [row.pid, processCpuSeconds(row.pid)]));
}

/** What a stretch of a benchmark cost in CPU: start it, then `stop` returns the seconds per named part. */
export class CpuAccount {
  private readonly machine = machineCpuSeconds();
  private readonly ownCpu = process.cpuUsage();
  private readonly started: Map<string, number>;

  private constructor(
    private readonly processes: Map<string, number[]>,
    private readonly backendsAtStart: Map<string, Map<number, number>>,
    private readonly client: pg.Client,
    private readonly databases: Map<string, string>,
  ) {
    this.started = new Map([...processes].map(([name, pids]) => [name, sumCpu(pids)]));
  }

  /**
   * `processes`: name → pids (this process is counted as well); `databases`: name → database, whose backends are
   * counted as one part each.
   */
  static async start(processes: Record<string, number[]>, databases: Record<string, string>, client: pg.Client): Promise<CpuAccount> {
    const atStart = new Map<string, Map<number, number>>();
    for (const [name, database] of Object.entries(databases)) atStart.set(name, await backendCpuSeconds(client, [database]));
    return new CpuAccount(new Map(Object.entries(processes)), atStart, client, new Map(Object.entries(databases)));
  }

  /**
   * CPU seconds since the start: per named process and per database (its backends; one that ended before the look
   * is missed, one that began after counts whole), and the machine's busy and total seconds over all its cores.
   */
  async stop(): Promise<{ parts: Map<string, number>; machineBusy: number; machineTotal: number }> {
    const parts = new Map<string, number>();
    const own = process.cpuUsage(this.ownCpu);
    parts.set('this process (web role, bench)', (own.user + own.system) / 1e6);
    for (const [name, pids] of this.processes) parts.set(name, sumCpu(pids) - (this.started.get(name) ?? 0));
    for (const [name, database] of this.databases) {
      const before = this.backendsAtStart.get(name) ?? new Map<number, number>();
      let seconds = 0;
      for (const [pid, now] of await backendCpuSeconds(this.client, [database])) seconds += now - (before.get(pid) ?? 0);
      parts.set(name, seconds);
    }
    const machine = machineCpuSeconds();
    return { parts, machineBusy: machine.busy - this.machine.busy, machineTotal: machine.total - this.machine.total };
  }
}

function sumCpu(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}

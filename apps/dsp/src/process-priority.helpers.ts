import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Adds `nice` to this process's niceness (capped at 19): every thread's, since Linux keeps a niceness per thread
 * and `setPriority(pid)` changes only the main one while V8's helper threads already run. Threads started later
 * (libuv's pool) take the main thread's. Returns the niceness now in force, or an error's message if the system
 * refused (raising niceness needs no privilege, so it should not).
 */
export function lowerProcessPriority(nice: number): { niceness: number } | { refused: string } {
  if (nice <= 0) return { niceness: getPriority() };
  const target = Math.min(19, getPriority() + nice);
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    threads = [0]; // no /proc (not Linux): the call applies to the whole process
  }
  for (const thread of threads) {
    try {
      setPriority(thread, target);
    } catch (error) {
      if ((error as { info?: { code?: string } }).info?.code === 'ESRCH') continue; // the thread ended meanwhile
      return { refused: (error as Error).message };
    }
  }
  return { niceness: getPriority() };
}

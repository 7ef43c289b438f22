import 'reflect-metadata';
import { loadDspConfig } from '@opendsp/config';
import { startDsp } from './bootstrap.js';
import { exitOnSetupProblem } from './exit-on-setup-problem.js';

// Entry point of a deployed platform process (web, worker or all, by PROCESS_ROLE).
try {
  await startDsp(loadDspConfig(process.env));
} catch (error) {
  exitOnSetupProblem(error, process.env.DATABASE_URL ?? '');
  throw error;
}

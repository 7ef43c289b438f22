import { Migration20261123090000_foundation } from './Migration20261123090000_foundation.js';

/** Every DSP migration in order. Listed explicitly so the same list runs from source, from dist and in tests. */
export const DSP_MIGRATIONS = [{ name: 'Migration20261123090000_foundation', class: Migration20261123090000_foundation }];

import { AlertCursor } from './alert-cursor.entity.js';
import { AlertRuleSet } from './alert-rule-set.entity.js';
import { Alert } from './alert.entity.js';

/** The alerts room's tables: each group's rules, the alerts, and the cursor over connection changes. */
export const ALERT_ENTITIES = [AlertRuleSet, Alert, AlertCursor];

/**
 * The alert rules a group can switch on:
 * - `bp_crisis`: a blood pressure reading at or above the systolic or the diastolic line (ACC/AHA 2017's
 *   hypertensive crisis, 180/120 by default);
 * - `possible_afib`: a blood pressure reading OMRON flagged `possibleAfib`;
 * - `no_reading`: a participant who used to measure sent nothing for some days (a scheduled check);
 * - `reconnect_needed`: the participant's OMRON connection needs a new authorisation.
 */
export const ALERT_RULES = ['bp_crisis', 'possible_afib', 'no_reading', 'reconnect_needed'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/**
 * - `open`: needs someone's attention;
 * - `acknowledged`: staff looked at it and left a note;
 * - `resolved`: the platform saw its cause end (`ALERT_RESOLUTIONS`) before anyone acknowledged it.
 */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * Why the platform resolved an alert. Only the rules about a state resolve by themselves; `bp_crisis` and
 * `possible_afib` are about one reading, which a later reading does not undo, so they stay open until acknowledged.
 * - `new_reading`: a `no_reading` alert's participant sent a reading measured after the silence began;
 * - `reconnected`: a `reconnect_needed` alert's participant authorised the platform again.
 */
export const ALERT_RESOLUTIONS = ['new_reading', 'reconnected'] as const;
export type AlertResolution = (typeof ALERT_RESOLUTIONS)[number];

/** A group's rules before anyone tuned them: all off; the lines are ACC/AHA 2017's and the platform's. */
export const DEFAULT_ALERT_RULES = {
  bpCrisisEnabled: false,
  systolicAtLeast: 180,
  diastolicAtLeast: 120,
  afibEnabled: false,
  noReadingEnabled: false,
  noReadingDays: 7,
  /** "Used to measure": at least this many readings in the 30 days before the last one. */
  noReadingMinReadings: 8,
  reconnectEnabled: false,
} as const;

/** The window before a participant's last reading in which "used to measure" counts readings. */
export const USED_TO_MEASURE_WINDOW_DAYS = 30;
/** A silence is alerted while it is young: its last reading at most this many days before the alert line. */
export const NO_READING_LOOKBACK_DAYS = 30;

/** The longest acknowledgement note. */
export const NOTE_MAX_LENGTH = 2000;

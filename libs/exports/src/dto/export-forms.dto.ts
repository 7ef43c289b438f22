import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { HOST_PATTERN } from '@opendsp/config';
import { BrowserForm, trimmed } from '@opendsp/i18n';
import { EXPORT_KIND_NAMES, type ExportKind } from '@opendsp/measurements';
import { MAX_EXPORT_PARTICIPANTS } from '../csv/csv-export.service.js';
import { isValidSchedule } from '../sftp/cron-schedule.rules.js';
import { hasControlCharacters, isValidBaseDir } from '../sftp/delivery-layout.rules.js';
import { FINGERPRINT_PATTERN, normalizeFingerprint } from '../sftp/host-key.rules.js';
import {
  SFTP_AUTH_METHODS,
  SFTP_DESTINATION_MODES,
  type SftpAuthMethod,
  type SftpDestinationMode,
} from '../sftp/sftp-destination.entity.js';

/** A submitted field that may be repeated (checkboxes, multi-selects) as a list of strings. */
const list = ({ value }: { value: unknown }): string[] =>
  (Array.isArray(value) ? value : value === undefined || value === null || value === '' ? [] : [value]).filter(
    (item): item is string => typeof item === 'string',
  );

/** An unticked checkbox is simply absent from the form. */
const checkbox = ({ value }: { value: unknown }): boolean => value === 'on' || value === 'true' || value === true;

/** A secret as typed: never trimmed (spaces may be part of a password), anything else becomes empty. */
const raw = ({ value }: { value: unknown }): string => (typeof value === 'string' ? value : '');

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function Satisfies(test: (value: string) => boolean, validationOptions: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'satisfies', validator: { validate: (value: unknown) => typeof value === 'string' && test(value) } },
    validationOptions,
  );
}

/** The download form: a group, optionally some participants, kinds, a range of days and the BOM option. */
export class DownloadForm extends BrowserForm {
  @Transform(trimmed)
  @Matches(/^[0-9A-Z]{12}$/, { message: 'exports.group_required' })
  groupId!: string;

  @Transform(list)
  @ArrayNotEmpty({ message: 'exports.kinds_required' })
  @IsIn(EXPORT_KIND_NAMES, { each: true, message: 'form.invalid' })
  kinds: ExportKind[] = [];

  /** OGSC IDs or internal customer IDs, one per line (or separated by commas or spaces); empty: everyone. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(/[\s,;]+/)
          .map((id) => id.trim())
          .filter(Boolean)
      : [],
  )
  @ArrayMaxSize(MAX_EXPORT_PARTICIPANTS, { message: 'exports.too_many_participants' })
  participants: string[] = [];

  /** First day, `YYYY-MM-DD` in the environment's time zone; empty: from the beginning. */
  @Transform(trimmed)
  @ValidateIf((form: DownloadForm) => form.from !== '')
  @Matches(DATE, { message: 'exports.date_invalid' })
  from: string = '';

  /** Last day (included); empty: up to now. */
  @Transform(trimmed)
  @ValidateIf((form: DownloadForm) => form.to !== '')
  @Matches(DATE, { message: 'exports.date_invalid' })
  to: string = '';

  @Transform(checkbox)
  @IsBoolean()
  bom: boolean = false;
}

/**
 * An SFTP destination. Secret fields left blank when editing keep the stored secret. A retrieval destination
 * (files kept for partners to fetch from OpenDSP's SFTP server) needs no server, credentials or folder: only
 * the user name partners sign in with.
 */
export class SftpDestinationForm extends BrowserForm {
  @IsIn(SFTP_DESTINATION_MODES, { message: 'form.invalid' })
  mode: SftpDestinationMode = 'push';

  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  name!: string;

  @Transform(trimmed)
  @ValidateIf((form: SftpDestinationForm) => form.mode !== 'retrieval')
  @Matches(HOST_PATTERN, { message: 'sftp.host_invalid' })
  @MaxLength(253, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  host!: string;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : value))
  @ValidateIf((form: SftpDestinationForm) => form.mode !== 'retrieval')
  @Max(65535, { message: 'sftp.port_invalid' })
  @Min(1, { message: 'sftp.port_invalid' })
  @IsInt({ message: 'sftp.port_invalid' })
  port: number = 22;

  @Transform(trimmed)
  @Satisfies((name) => !/\s/.test(name) && !hasControlCharacters(name), { message: 'sftp.username_invalid' })
  @MaxLength(100, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  username!: string;

  @IsIn(SFTP_AUTH_METHODS, { message: 'form.invalid' })
  authMethod: SftpAuthMethod = 'password';

  @Transform(raw)
  @MaxLength(1000, { message: 'form.too_long' })
  password: string = '';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : ''))
  @MaxLength(20_000, { message: 'form.too_long' })
  privateKey: string = '';

  @Transform(raw)
  @MaxLength(1000, { message: 'form.too_long' })
  passphrase: string = '';

  /** Normalised to `SHA256:…` when it is a fingerprint at all; empty: none pinned (deliveries refuse to connect). */
  @Transform(({ value }: { value: unknown }) => {
    const typed = typeof value === 'string' ? value.trim() : '';
    return typed === '' ? '' : (normalizeFingerprint(typed) ?? typed);
  })
  @ValidateIf((form: SftpDestinationForm) => form.hostKeyFingerprint !== '')
  @Matches(FINGERPRINT_PATTERN, { message: 'sftp.fingerprint_invalid' })
  hostKeyFingerprint: string = '';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : '.'))
  @Satisfies(isValidBaseDir, { message: 'sftp.base_dir_invalid' })
  remoteBaseDir: string = '.';

  @Transform(list)
  @IsIn(EXPORT_KIND_NAMES, { each: true, message: 'form.invalid' })
  @ArrayNotEmpty({ message: 'sftp.kinds_required' })
  kinds: ExportKind[] = [];

  /** Public group IDs. */
  @Transform(list)
  @Matches(/^[0-9A-Z]{12}$/, { each: true, message: 'form.invalid' })
  @ArrayMaxSize(500, { message: 'form.invalid' })
  @ArrayNotEmpty({ message: 'sftp.groups_required' })
  groupIds: string[] = [];

  @Transform(trimmed)
  @Satisfies(isValidSchedule, { message: 'sftp.schedule_invalid' })
  @MaxLength(200, { message: 'form.too_long' })
  schedule: string = '';

  @Transform(checkbox)
  @IsBoolean()
  enabled: boolean = false;
}

/** A partner's SSH public key for SFTP retrieval. */
export class RetrievalKeyForm extends BrowserForm {
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  name!: string;

  /** `ssh-ed25519 AAAA… comment` as `ssh-keygen` writes it; checked by the service. */
  @Transform(trimmed)
  @MaxLength(20_000, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  publicKey!: string;
}

import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { SANDBOX_SCOPES } from '../../oauth/scopes.js';

const WEB_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** An absolute URI without a fragment (RFC 6749 §3.1.2); custom schemes are allowed for native apps. */
export function IsRedirectUri(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRedirectUri',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.length > 2000 || value.includes('#')) return false;
          return URL.canParse(value) && /^[a-z][a-z0-9+.-]*:/i.test(value);
        },
        defaultMessage: () => 'each redirect URI must be an absolute URI without a fragment',
      },
    },
    options,
  );
}

/** The optional fields of a registered app: the rest of the spec's sign-up list ("Before You Begin"). */
export class RegisteredAppFieldsDto {
  /** Set a known secret (at least 16 characters); without it on creation, one is generated. */
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MinLength(16)
  @MaxLength(500)
  clientSecret?: string;

  @IsOptional()
  @IsUrl(WEB_URL)
  infoUri?: string | null;

  @IsOptional()
  @IsUrl(WEB_URL)
  policyUri?: string | null;

  @IsOptional()
  @IsUrl(WEB_URL)
  tosUri?: string | null;

  @IsOptional()
  @IsUrl(WEB_URL)
  logoUri?: string | null;

  @IsOptional()
  @IsUrl(WEB_URL)
  notificationUri?: string | null;

  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @IsIn(SANDBOX_SCOPES, { each: true, message: `each allowed scope must be one of ${SANDBOX_SCOPES.join(', ')}` })
  allowedScopes?: string[];

  @IsOptional()
  @IsString()
  @MaxLength(300)
  companyName?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  companyAddress?: string | null;

  @IsOptional()
  @IsUrl(WEB_URL)
  companyLogoUri?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(300)
  contactName?: string | null;

  @IsOptional()
  @IsEmail()
  contactEmail?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  contactPhone?: string | null;
}

/** A new app. Display name and redirect URIs are required; scopes default to all of the spec's. */
export class CreateRegisteredAppDto extends RegisteredAppFieldsDto {
  @IsString()
  @Matches(/^[A-Za-z0-9._~-]{1,128}$/, { message: 'clientId must be 1-128 letters, digits or . _ ~ -' })
  clientId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @IsRedirectUri({ each: true })
  redirectUris!: string[];
}

/** A partial change of an app; an optional field set to null clears it. */
export class UpdateRegisteredAppDto extends RegisteredAppFieldsDto {
  // Present means set: these columns cannot be cleared, so null is refused rather than ignored.
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;

  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @IsRedirectUri({ each: true })
  redirectUris?: string[];
}

/** The seed file: `{ "apps": [ … ] }` with the same fields as the admin API's create request. */
export class RegisteredAppsSeedDto {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => CreateRegisteredAppDto)
  apps!: CreateRegisteredAppDto[];
}

/** A registered app as the admin API shows it: never the secret or its hash. */
export interface RegisteredAppView {
  clientId: string;
  displayName: string;
  infoUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  logoUri: string | null;
  redirectUris: string[];
  notificationUri: string | null;
  allowedScopes: string[];
  companyName: string | null;
  companyAddress: string | null;
  companyLogoUri: string | null;
  contactName: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
  createdAt: string;
  updatedAt: string;
}

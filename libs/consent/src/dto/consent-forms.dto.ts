import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { trimmed } from '@opendsp/i18n';

const asString = ({ value }: { value: unknown }): string => (typeof value === 'string' ? value : '');

export class ParticipantSignInForm {
  @Transform(trimmed)
  @MaxLength(200, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  loginId!: string;

  @Transform(asString)
  @MaxLength(1024, { message: 'form.too_long' })
  @IsNotEmpty({ message: 'form.required' })
  password!: string;
}

export class ParticipantPasswordForm {
  @Transform(asString)
  @IsNotEmpty({ message: 'form.required' })
  password!: string;

  @Transform(asString)
  @IsString()
  confirmation!: string;
}

export class ConsentDecisionForm {
  @IsIn(['accept', 'decline'], { message: 'form.invalid' })
  decision!: 'accept' | 'decline';
}

export class ConsentLanguageForm {
  @IsIn(['ja', 'en'], { message: 'form.invalid' })
  lang!: 'ja' | 'en';
}

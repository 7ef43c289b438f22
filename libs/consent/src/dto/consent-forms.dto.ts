import { IsIn } from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';

export class ConsentDecisionForm extends BrowserForm {
  @IsIn(['accept', 'decline'], { message: 'form.invalid' })
  decision!: 'accept' | 'decline';
}

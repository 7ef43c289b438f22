import { IsIn } from 'class-validator';

export class ConsentDecisionForm {
  @IsIn(['accept', 'decline'], { message: 'form.invalid' })
  decision!: 'accept' | 'decline';
}

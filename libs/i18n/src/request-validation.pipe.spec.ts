import { IsNotEmpty, IsString } from 'class-validator';
import { BrowserForm, InvalidRequestException, requestValidationPipe } from './request-validation.pipe.js';

class ApiQuery {
  @IsString()
  since: string = '0';
}

class NameForm extends BrowserForm {
  @IsNotEmpty({ message: 'form.required' })
  name: string = '';
}

describe(requestValidationPipe.name, () => {
  const pipe = requestValidationPipe();
  const asBody = (metatype: new () => object) => ({ type: 'body' as const, metatype });

  async function refusal(value: unknown, metatype: new () => object): Promise<InvalidRequestException> {
    const error: unknown = await pipe.transform(value, asBody(metatype)).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidRequestException);
    return error as InvalidRequestException;
  }

  it('refuses a field a request DTO does not declare, naming it', async () => {
    const error = await refusal({ sinse: '3' }, ApiQuery);
    expect(error.problems.map((problem) => [problem.property, Object.keys(problem.constraints ?? {})])).toEqual([
      ['sinse', ['whitelistValidation']],
    ]);
  });

  it("drops what a browser form adds (its CSRF token) and keeps the DTO's defaults for what it leaves out", async () => {
    const form = (await pipe.transform({ name: 'Clinic', _csrf: 'token' }, asBody(NameForm))) as NameForm;
    expect(form).toBeInstanceOf(NameForm);
    expect({ ...form }).toEqual({ name: 'Clinic' });
    expect(await pipe.transform({}, asBody(ApiQuery))).toEqual(Object.assign(new ApiQuery(), { since: '0' }));
  });

  it('gives each field of a refused browser form its message key', async () => {
    expect((await refusal({ name: '', _csrf: 'token' }, NameForm)).fieldErrors()).toEqual({ name: 'form.required' });
  });
});

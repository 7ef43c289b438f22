import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateRegisteredAppDto, UpdateRegisteredAppDto } from './registered-app.dto.js';

const errorsOf = async (cls: typeof CreateRegisteredAppDto | typeof UpdateRegisteredAppDto, body: object) =>
  (await validate(plainToInstance(cls, body), { whitelist: true, forbidNonWhitelisted: true })).map((error) => error.property);

describe(CreateRegisteredAppDto.name, () => {
  const valid = { clientId: 'aviato-api', displayName: 'Aviato', redirectUris: ['https://example.aviato.com/oauth'] };

  it('accepts the minimum and native-app redirect URIs', async () => {
    await expect(errorsOf(CreateRegisteredAppDto, valid)).resolves.toEqual([]);
    await expect(errorsOf(CreateRegisteredAppDto, { ...valid, redirectUris: ['com.aviato.app:/oauth'] })).resolves.toEqual([]);
  });

  it.each([
    [{ redirectUris: ['/relative'] }, 'redirectUris'],
    [{ redirectUris: ['https://example.aviato.com/oauth#frag'] }, 'redirectUris'],
    [{ logoUri: 'javascript:alert(1)' }, 'logoUri'],
    [{ allowedScopes: ['blood-pressure'] }, 'allowedScopes'],
    [{ contactEmail: 'not-an-email' }, 'contactEmail'],
  ])('refuses %j', async (change, property) => {
    await expect(errorsOf(CreateRegisteredAppDto, { ...valid, ...change })).resolves.toEqual([property]);
  });

  it('requires display name and redirect URIs on creation only', async () => {
    await expect(errorsOf(CreateRegisteredAppDto, { clientId: 'a' })).resolves.toEqual(['displayName', 'redirectUris']);
    await expect(errorsOf(UpdateRegisteredAppDto, {})).resolves.toEqual([]);
    await expect(errorsOf(UpdateRegisteredAppDto, { displayName: null, allowedScopes: null })).resolves.toEqual(
      expect.arrayContaining(['displayName', 'allowedScopes']),
    );
  });
});

import { httpUrlOrNull, parseCustomParams } from './custom-params.js';

describe(parseCustomParams.name, () => {
  it.each([
    [undefined, null],
    ['', null],
    ['display_back:0', null],
    ["display_back:0,back_url:'https://a.example/'", null],
    ["display_back:1,back_url:'https://a.example/app'", 'https://a.example/app'],
    ["display_back:'1',back_url:'https://a.example/app',back_url_params:''", 'https://a.example/app'],
    ["display_back:1,back_url:'https://a.example/app',back_url_params:'param1:a,param2:b'", 'https://a.example/app?param1=a&param2=b'],
    ["(display_back:1,back_url:'https://a.example/?x=1',back_url_params:(id:42,ok:!t))", 'https://a.example/?x=1&id=42&ok=true'],
    ["display_back:1,back_url:'http://a.example/',back_url_params:'q:!'two words!''", 'http://a.example/?q=two+words'],
  ])('reads %p as back URL %p', (raw, backUrl) => {
    expect(parseCustomParams(raw)).toEqual({ ok: true, backUrl });
  });

  it.each([
    ['redirect_url:x', 'consent_start.custom_params_keys', ['redirect_url']],
    ["display_back:1,back_url:'https://a.example/',x:1,y:2", 'consent_start.custom_params_keys', ['x', 'y']],
    ['__proto__:(display_back:1)', 'consent_start.custom_params_keys', ['__proto__']],
    ['display_back:2', 'consent_start.display_back', undefined],
    ['display_back:1', 'consent_start.back_url', undefined],
    ["display_back:1,back_url:'ftp://a.example/'", 'consent_start.back_url', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:(a:!(1,2))", 'consent_start.back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:'a:(b:c)'", 'consent_start.back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:5", 'consent_start.back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example", 'consent_start.custom_params_syntax', undefined],
    ['a:b,', 'consent_start.custom_params_syntax', undefined],
    ['!(1,2)', 'consent_start.custom_params_syntax', undefined],
    ['x'.repeat(4001), 'consent_start.custom_params_syntax', undefined],
  ])('refuses %p (%s)', (raw, problem, keys) => {
    expect(parseCustomParams(raw)).toEqual({ ok: false, problem, ...(keys ? { keys } : {}) });
  });
});

describe(httpUrlOrNull.name, () => {
  it.each([
    '//evil.example',
    'https:/\\evil.example',
    'javascript:alert(1)',
    'https://u:p@a.example/',
    'https://a.example/ x',
    '/relative',
  ])('refuses %p', (value) => {
    expect(httpUrlOrNull(value)).toBeNull();
  });
});

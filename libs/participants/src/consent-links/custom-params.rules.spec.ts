import { decodeRisonObject, encodeCustomParams, httpUrlOrNull, parseCustomParams, readCustomParams } from './custom-params.rules.js';

describe(readCustomParams.name, () => {
  it.each([
    ['', null],
    ['display_back:0', null],
    ["display_back:0,back_url:'https://a.example/'", null],
    ["display_back:0,back_url:'',back_url_params:''", null],
    ["back_url:'http://localhost:8080/x?y=1'", null],
    // The DSP document's literal example: the header, with no back icon (nowhere known to go back to).
    ["display_back:1,back_url:'',back_url_params:''", ''],
    ["display_back:1,back_url:''", ''],
    ["display_back:1,back_url:'https://a.example/app'", 'https://a.example/app'],
    ["display_back:'1',back_url:'https://a.example/app',back_url_params:''", 'https://a.example/app'],
    ["display_back:1,back_url:'https://a.example/app',back_url_params:'param1:a,param2:b'", 'https://a.example/app?param1=a&param2=b'],
    ["(display_back:1,back_url:'https://a.example/?x=1',back_url_params:(id:42,ok:!t))", 'https://a.example/?x=1&id=42&ok=true'],
    ["display_back:1,back_url:'http://a.example/',back_url_params:'q:!'two words!''", 'http://a.example/?q=two+words'],
  ])('reads %p as back URL %p', (raw, backUrl) => {
    expect(readCustomParams(raw)).toEqual(expect.objectContaining({ ok: true, backUrl }));
  });

  it.each([
    ['redirect_url:x', 'unknown_keys', ['redirect_url']],
    ["display_back:1,back_url:'https://a.example/',x:1,y:2", 'unknown_keys', ['x', 'y']],
    ['__proto__:(display_back:1)', 'unknown_keys', ['__proto__']],
    ['constructor:(prototype:(x:1))', 'unknown_keys', ['constructor']],
    ['display_back:2', 'display_back', undefined],
    ['display_back:1', 'back_url_required', undefined],
    ["display_back:1,back_url:'ftp://a.example/'", 'back_url', undefined],
    // Every key given is checked, even when display_back leaves the back header off.
    ["display_back:0,back_url:'javascript:alert(1)'", 'back_url', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:(a:!(1,2))", 'back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:'a:(b:c)'", 'back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example/',back_url_params:5", 'back_url_params', undefined],
    ["display_back:1,back_url:'https://a.example", 'syntax', undefined],
    ['(display_back:1),x:2', 'syntax', undefined],
    ['a:b,', 'syntax', undefined],
    ['!(1,2)', 'syntax', undefined],
    ['<script>alert(1)</script>:1', 'syntax', undefined],
    ['x'.repeat(4001), 'too_long', undefined],
  ])('refuses %p (%s)', (raw, problem, keys) => {
    expect(readCustomParams(raw)).toEqual({ ok: false, problem, ...(keys ? { keys } : {}) });
  });
});

describe(parseCustomParams.name, () => {
  it('accepts the three keys of the DSP document and returns them in its order', () => {
    expect(parseCustomParams("back_url_params:'param1:a,param2:b',display_back:1,back_url:'https://app.example.com/back'")).toEqual({
      ok: true,
      value: { display_back: 1, back_url: 'https://app.example.com/back', back_url_params: 'param1:a,param2:b' },
      text: "display_back:1,back_url:'https://app.example.com/back',back_url_params:'param1:a,param2:b'",
    });
    expect(parseCustomParams('display_back:0')).toEqual({ ok: true, value: { display_back: 0 }, text: 'display_back:0' });
    expect(parseCustomParams("display_back:0,back_url:'',back_url_params:''").ok).toBe(true);
    expect(parseCustomParams("back_url:'http://localhost:8080/x?y=1'").ok).toBe(true);
  });

  it('writes what /consent/start also reads (full Rison, quoted display_back, object parameters) in the canonical form', () => {
    expect(parseCustomParams("(display_back:'1',back_url:'https://a.example/',back_url_params:(id:42,ok:!t))")).toEqual({
      ok: true,
      value: { display_back: 1, back_url: 'https://a.example/', back_url_params: 'id:42,ok:!t' },
      text: "display_back:1,back_url:'https://a.example/',back_url_params:'id:42,ok:!!t'",
    });
  });

  it.each([
    ["display_back:1,back_url:'https://a.example',evil:1", 'consent_link.custom_params_unknown_key', { key: 'evil' }],
    ["redirect_url:'https://evil.example'", 'consent_link.custom_params_unknown_key', { key: 'redirect_url' }],
    ['__proto__:(a:1)', 'consent_link.custom_params_unknown_key', { key: '__proto__' }],
    ['display_back:2', 'consent_link.display_back_invalid', undefined],
    ['display_back:!t', 'consent_link.display_back_invalid', undefined],
    ["display_back:'yes'", 'consent_link.display_back_invalid', undefined],
    ['display_back:1', 'consent_link.back_url_required', undefined],
    ['(display_back:1)', 'consent_link.back_url_required', undefined],
    ["back_url:'javascript:alert(1)'", 'consent_link.back_url_invalid', undefined],
    ["back_url:'//evil.example/'", 'consent_link.back_url_invalid', undefined],
    ["back_url:'ftp://files.example/'", 'consent_link.back_url_invalid', undefined],
    ["back_url:'https://user:pw@evil.example/'", 'consent_link.back_url_invalid', undefined],
    ['back_url:(a:1)', 'consent_link.back_url_invalid', undefined],
    ["back_url_params:'not rison'", 'consent_link.back_url_params_invalid', undefined],
    ["back_url_params:'a:(b:1)'", 'consent_link.back_url_params_invalid', undefined],
    ['back_url_params:1', 'consent_link.back_url_params_invalid', undefined],
    ["display_back:1,back_url:'unclosed", 'consent_link.custom_params_syntax', undefined],
    ['display back:1', 'consent_link.custom_params_syntax', undefined],
    [`back_url:'https://a.example/${'x'.repeat(2000)}'`, 'form.too_long', undefined],
  ])('refuses %j (%s)', (input, message, params) => {
    expect(parseCustomParams(input)).toEqual({ ok: false, message, ...(params ? { params } : {}) });
  });

  it('round-trips: what it encodes, it reads back the same', () => {
    const value = { display_back: 1 as const, back_url: "https://a.example/it's?x=1&y=!", back_url_params: 'from:dsp,n:2' };
    const text = encodeCustomParams(value);
    expect(decodeRisonObject(text)).toEqual(value);
    expect(parseCustomParams(text)).toEqual({ ok: true, value, text });
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

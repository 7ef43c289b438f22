import { decodeRisonObject, encodeCustomParams, parseCustomParams } from './custom-params.js';

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

  it.each([
    ["display_back:1,back_url:'https://a.example',evil:1", 'consent_link.custom_params_unknown_key'],
    ["redirect_url:'https://evil.example'", 'consent_link.custom_params_unknown_key'],
    ['__proto__:(a:1)', 'consent_link.custom_params_unknown_key'],
    ['display_back:2', 'consent_link.display_back_invalid'],
    ['display_back:!t', 'consent_link.display_back_invalid'],
    ["display_back:'1'", 'consent_link.display_back_invalid'],
    ['display_back:1', 'consent_link.back_url_required'],
    ["display_back:1,back_url:''", 'consent_link.back_url_required'],
    ["back_url:'javascript:alert(1)'", 'consent_link.back_url_invalid'],
    ["back_url:'//evil.example/'", 'consent_link.back_url_invalid'],
    ["back_url:'ftp://files.example/'", 'consent_link.back_url_invalid'],
    ["back_url:'https://user:pw@evil.example/'", 'consent_link.back_url_invalid'],
    ['back_url:(a:1)', 'consent_link.back_url_invalid'],
    ["back_url_params:'not rison'", 'consent_link.back_url_params_invalid'],
    ["back_url_params:'a:(b:1)'", 'consent_link.back_url_params_invalid'],
    ['back_url_params:1', 'consent_link.back_url_params_invalid'],
    ['(display_back:1)', 'consent_link.custom_params_syntax'],
    ["display_back:1,back_url:'unclosed", 'consent_link.custom_params_syntax'],
    ['display back:1', 'consent_link.custom_params_syntax'],
    [`back_url:'https://a.example/${'x'.repeat(2000)}'`, 'form.too_long'],
  ])('refuses %j (%s)', (input, message) => {
    expect(parseCustomParams(input)).toEqual(expect.objectContaining({ ok: false, message }));
  });

  it('round-trips: what it encodes, it reads back the same', () => {
    const value = { display_back: 1 as const, back_url: "https://a.example/it's?x=1&y=!", back_url_params: 'from:dsp,n:2' };
    const text = encodeCustomParams(value);
    expect(decodeRisonObject(text)).toEqual(value);
    expect(parseCustomParams(text)).toEqual({ ok: true, value, text });
  });
});

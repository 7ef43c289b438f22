/**
 * A few lines of SVG building. Text and attribute values always pass through `escapeXml`, so readings,
 * device names and labels can never break out of the markup; element children are markup built here.
 */
export function escapeXml(value: unknown): string {
  const text = String(value ?? '');
  // Most values (coordinates, an ECG's thousands of points) need no escaping; skip five passes over them.
  if (!/[&<>"']/.test(text)) return text;
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export type Attributes = Record<string, string | number | null | undefined | false>;

/**
 * `<name a="…">children</name>`; attributes that are null, undefined or false are left out. Plain loops: a page's
 * charts make thousands of elements, and entries/filter/map/join per element was a few per cent of its CPU.
 */
export function element(name: string, attributes: Attributes, ...children: (string | null | undefined | false)[]): string {
  let markup = `<${name}`;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === null || value === undefined || value === false) continue;
    // A number's text has nothing to escape.
    markup += ` ${key}="${typeof value === 'number' ? value : escapeXml(value)}"`;
  }
  let inner = '';
  for (const child of children) if (typeof child === 'string') inner += child;
  return inner ? `${markup}>${inner}</${name}>` : `${markup}/>`;
}

/** A text node. */
export function text(value: unknown): string {
  return escapeXml(value);
}

/** A coordinate with at most two decimals, to keep the markup short. */
export function coordinate(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * `String(coordinate(value))` without turning a fraction into text: from the whole hundredths, which is several times
 * faster where a chart writes thousands of points (an ECG's every sample).
 */
export function coordinateText(value: number): string {
  const hundredths = Math.round(value * 100);
  if (!(hundredths >= 0 && hundredths <= Number.MAX_SAFE_INTEGER)) return String(hundredths / 100);
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  if (fraction === 0) return String(whole);
  return fraction % 10 === 0 ? `${whole}.${fraction / 10}` : `${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/**
 * Markup Handlebars prints as it is (it calls `toHTML`), so a chart goes into a template as `{{chart}}`
 * and never needs the triple-stash that would also print user data raw.
 */
export class SvgMarkup {
  constructor(readonly markup: string) {}

  toHTML(): string {
    return this.markup;
  }

  toString(): string {
    return this.markup;
  }
}

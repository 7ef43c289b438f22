// rison-node ships no types; only the parser class is used (see custom-params.ts).
declare module 'rison-node' {
  class RisonParser {
    constructor(errorHandler?: (message: string, index: number) => void);
    error(message: string): undefined;
    parse(value: string): unknown;
  }
  const rison: { parser: typeof RisonParser };
  export default rison;
}

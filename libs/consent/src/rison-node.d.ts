// rison-node ships no types; only the parser class is used (see custom-params.ts).
declare module 'rison-node' {
  interface RisonParser {
    error(message: string): undefined;
    parse(value: string): unknown;
  }
  const rison: { parser: new (errorHandler?: (message: string, index: number) => void) => RisonParser };
  export default rison;
}

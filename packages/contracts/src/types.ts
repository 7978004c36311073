/**
 * The shape of the committed extract (extract/anypoint.json, extract/heroku.json).
 *
 * Anypoint schemas are OpenAPI 3.0 schema objects (with `nullable`, boolean `exclusiveMinimum`);
 * Heroku schemas are JSON Schema draft-04. The validator converts both when it compiles them.
 */

export type Api = 'anypoint' | 'heroku';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** A JSON Schema (OpenAPI 3.0 flavour for Anypoint, draft-04 for Heroku). */
export type JsonSchema = { [keyword: string]: unknown } | boolean;

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
  /** OpenAPI serialisation; only `form` + explode (the default) is handled for query arrays. */
  style?: string;
  explode?: boolean;
}

export interface MediaSpec {
  /** Absent when the vendor documents no schema for this media type (nothing to check). */
  schema?: JsonSchema;
  /** Named example values (OpenAPI `example` becomes `{ example: value }`). */
  examples?: Record<string, unknown>;
}

export interface RequestBodySpec {
  required: boolean;
  content: Record<string, MediaSpec>;
}

export interface ResponseSpec {
  /** Absent: the response has no body. */
  content?: Record<string, MediaSpec>;
  headers?: Record<string, { required: boolean; schema?: JsonSchema }>;
}

export interface AuthSpec {
  /** `Authorization` must be present. */
  required: boolean;
  /** Accepted schemes, lower-case (`bearer`, `basic`); empty = any. */
  schemes: string[];
}

export interface OperationSpec {
  /** `METHOD /full/path/{param}`: the operation's id in the extract and in violations. */
  key: string;
  api: Api;
  /** Vendor folder (`api-manager`, ...) or `platform-api` for Heroku. */
  spec: string;
  method: HttpMethod;
  /** Full path template from the host root (server base path included). */
  path: string;
  /** Base URL of the vendor's first server (informative). */
  server: string;
  operationId?: string;
  /** What we use it for (from operations.ts). */
  use: string;
  auth: AuthSpec;
  parameters: ParameterSpec[];
  requestBody?: RequestBodySpec;
  /** Keyed by status (`200`, `2XX`, `default`). */
  responses: Record<string, ResponseSpec>;
  /** Ids of the overrides (src/overrides.ts) that changed or defined this operation. */
  overrides?: string[];
}

export interface ExtractSource {
  /** Where the vendor files come from (parsed from the vendor README). */
  vendor: {
    repository: string;
    commit: string;
    date: string;
    path: string;
    licence: string;
  };
  /** sha256 (hex) of every vendor file read, by path relative to the vendor directory. */
  files: Record<string, string>;
  generator: string;
  /** Override ids applied (src/overrides.ts). */
  overrides: string[];
  /** Vendor oddities the extractor worked around mechanically (dropped dangling example paths...). */
  notes: string[];
}

export interface Extract {
  format: 1;
  api: Api;
  source: ExtractSource;
  /** Keyed by `METHOD /path`. */
  operations: Record<string, OperationSpec>;
  /**
   * Every other path template of the same specs with its methods (no schemas): lets the
   * validator tell "in the vendor spec but not extracted" from "unknown", and route the way the
   * platform does (a literal segment wins over a parameter).
   */
  otherPaths: Record<string, string[]>;
}

export interface Violation {
  api: Api;
  /** `request` or `response`. */
  direction: 'request' | 'response';
  /** Operation key, or `METHOD /concrete/path` when no operation matched. */
  operation: string;
  /** Where: `path`, `query`, `header`, `content-type`, `body`, `status`, `operation`. */
  where: 'operation' | 'path' | 'query' | 'header' | 'content-type' | 'body' | 'status';
  /** Readable one-liner, e.g. `POST /apimanager/.../apis body: must have required property 'spec'`. */
  message: string;
  /** JSON pointer into the body/parameter when known. */
  pointer?: string;
  /** Set by ViolationLog.expect(...) matching: a test sent this on purpose. */
  expected?: boolean;
}

/**
 * @aag/contracts: our extract of the vendor API contracts (MuleSoft Anypoint OpenAPI specs,
 * Heroku Platform API schema) and a validator over it. For tests and stand-ins only; the
 * product imports nothing of it. The extract builder (yaml, vendor files) is not exported here:
 * see scripts/extract.ts.
 */
export {
  ContractValidator,
  GENERIC_ERROR_STATUSES,
  contracts,
  matchOperation,
  validateRequest,
  validateResponse,
  type MatchResult,
  type RequestInput,
  type RequestResult,
  type ResponseInput,
} from './validator';
export { ViolationLog, matches, type ViolationMatcher } from './violation-log';
export { OPERATIONS, type OperationRef } from './operations';
export { OVERRIDES, type Override } from './overrides';
export type {
  Api,
  AuthSpec,
  Extract,
  ExtractSource,
  HttpMethod,
  JsonSchema,
  MediaSpec,
  OperationSpec,
  ParameterSpec,
  RequestBodySpec,
  ResponseSpec,
  Violation,
} from './types';

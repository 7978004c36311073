import type { Request } from 'express';
import type { CallLog } from './calls';
import type { FaultEngine } from './faults';
import type { SandboxState } from './state';

const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'UnauthorizedError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  409: 'ConflictError',
  415: 'UnsupportedMediaTypeError',
  500: 'InternalServerError',
};

/** Thrown by handlers; the error middleware turns it into `{status, name, message, code?}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function errorBody(status: number, message: string, code?: string): Record<string, unknown> {
  return { status, name: ERROR_NAMES[status] ?? 'Error', message, ...(code ? { code } : {}) };
}

export interface Ctx {
  state: SandboxState;
  faults: FaultEngine;
  calls: CallLog;
}

export function requireOrg(ctx: Ctx, orgId: string): void {
  if (orgId !== ctx.state.orgId) throw new HttpError(403, `Forbidden: no access to organization ${orgId}`);
}

export function requireEnv(ctx: Ctx, envId: string): { id: string; name: string; isProduction: boolean } {
  const env = ctx.state.env(envId);
  if (!env) throw new HttpError(404, `Environment ${envId} not found`);
  return env;
}

export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** CloudHub 1.0 application names: 3–42 chars, [a-z0-9-], no leading or trailing dash. */
export function cloudHubNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'applicationName must be a string';
  if (name.length < 3 || name.length > 42) return 'Application name must be between 3 and 42 characters';
  if (!/^[a-z0-9-]+$/.test(name)) return 'Application name may contain only lower-case letters, digits and dashes';
  if (name.startsWith('-') || name.endsWith('-')) return 'Application name must not start or end with a dash';
  return null;
}

/** Parses a query parameter as a non-negative integer (undefined when absent). */
export function intQuery(req: Request, name: string): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new HttpError(400, `${name} must be a non-negative integer`);
  return Number(raw);
}

export function strQuery(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new HttpError(400, `${name} must be given once`);
  return raw;
}

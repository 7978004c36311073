import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { validateRequest, validateResponse, ViolationLog, type Api, type OperationSpec, type Violation } from '@aag/contracts';

/**
 * Every request a stand-in receives is checked against the vendor's published spec of that
 * operation (@aag/contracts): path, method, parameters, required headers, body. A malformed request
 * is answered as the real platform would (400 with a message; an unknown operation 404/405; a
 * missing credential is left to the stand-in's own 401) and recorded. Every answer the stand-in
 * gives is checked against the response schema and recorded too: the test suites assert that no
 * stand-in saw or gave an unexpected violation (test/helpers/contract-check.ts).
 */

/** Every violation log of the stand-ins made in this process (one per stand-in). */
const REGISTRY_KEY = Symbol.for('aag.standins.violationLogs');
type Registry = Set<{ name: string; log: ViolationLog }>;

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  g[REGISTRY_KEY] ??= new Set();
  return g[REGISTRY_KEY];
}

/** Violations no test expected, over every stand-in of this process. */
export function unexpectedViolations(): Violation[] {
  return [...registry()].flatMap((r) => r.log.unexpected());
}

export interface ContractGuardOptions {
  api: Api;
  /** The stand-in's name in reports. */
  name: string;
  /** Error body in the platform's shape. */
  errorBody: (status: number, message: string) => unknown;
  /** Requests outside the vendor's API (control endpoints, the gateway's data plane). */
  skip?: (req: Request) => boolean;
  /**
   * Answer a malformed request here (400/404/405/415), or only record it and let the stand-in's
   * own checks answer (the Heroku stand-in answers with Heroku's error ids: invalid_params 422,
   * RFC 6749's invalid_request / unsupported_grant_type, …). Default true.
   */
  refuse?: boolean;
}

export interface ContractGuard {
  log: ViolationLog;
  /** Mount after the body parsers (multipart included), before the routes. */
  check: RequestHandler;
}

/** The fields of a multipart form as the spec names them: the text fields plus each file under its field name. */
function formFields(req: Request): unknown {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const files = (req as Request & { files?: { fieldname: string; originalname?: string }[] }).files;
  if (!Array.isArray(files) || !files.length) return body;
  const out: Record<string, unknown> = { ...body };
  for (const f of files) out[f.fieldname] = f.originalname ?? 'file';
  return out;
}

export function contractGuard(opts: ContractGuardOptions): ContractGuard {
  const log = new ViolationLog();
  registry().add({ name: opts.name, log });

  const check = (req: Request, res: Response, next: NextFunction) => {
    if (opts.skip?.(req)) return next();
    const contentType = req.get('content-type');
    const multipart = /^multipart\/form-data/i.test(contentType ?? '');
    const { operation, violations } = validateRequest(opts.api, {
      method: req.method,
      path: req.path,
      query: req.query as Record<string, unknown>,
      headers: req.headers as Record<string, unknown>,
      contentType,
      body: multipart ? formFields(req) : req.body,
    });
    log.record(violations);
    if (operation) watchAnswer(res, operation);
    if (!violations.length || opts.refuse === false) return next();
    const first = violations[0];
    // a missing credential (401) or media type (Heroku's 400/406) is the stand-in's own answer, as on the platform
    if (violations.every((v) => v.where === 'header' && /authorization|accept/i.test(v.message))) return next();
    const status = first.where === 'operation' ? (/method/i.test(first.message) ? 405 : 404) : first.where === 'content-type' ? 415 : 400;
    res.status(status).json(opts.errorBody(status, first.message));
  };

  /** Checks what the stand-in answers for `operation` (the body as sent through res.json). */
  function watchAnswer(res: Response, operation: OperationSpec) {
    const json = res.json.bind(res);
    let checked = false;
    res.json = (body?: unknown) => {
      if (!checked) {
        checked = true;
        log.record(validateResponse(opts.api, operation, { status: res.statusCode, contentType: 'application/json', body }));
      }
      return json(body);
    };
    // a text answer (CSV, say) is checked as the text it is
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      if (!checked && typeof body === 'string') {
        checked = true;
        log.record(validateResponse(opts.api, operation, { status: res.statusCode, contentType: String(res.get('content-type') ?? 'text/plain'), body }));
      }
      return send(body);
    };
    res.once('finish', () => {
      // answers without a body (204, an empty 202) are checked too
      if (!checked) log.record(validateResponse(opts.api, operation, { status: res.statusCode }));
    });
  }

  return { log, check };
}

import { z } from 'zod';
import { UUID_RE } from '../domain/naming';

/** Request bodies Heroku sends us. Unknown keys are accepted (Heroku adds fields at any time). */

/**
 * Heroku says the grant "may be null", but without it the add-on can never get a Platform API
 * token: it could neither set its config vars nor tell Heroku it is ready (or failed). So a
 * provision without one is refused at once (422), in words the user sees.
 */
export const NO_GRANT_MESSAGE =
  'Heroku sent this request without an OAuth grant, and without one the Anypoint API Gateway add-on cannot report back to Heroku ' +
  "(set its config vars, or say when it is ready), so nothing was created. Please try again; if this keeps happening, contact the add-on's support.";

export const oauthGrantSchema = z.looseObject(
  {
    code: z.string().min(1).max(1024),
    expires_at: z.string().max(64).optional(),
    type: z.string().max(64).optional(),
  },
  { error: (iss) => (iss.input === null || iss.input === undefined ? NO_GRANT_MESSAGE : undefined) },
);

export const provisionBodySchema = z.looseObject({
  uuid: z.string().regex(UUID_RE, 'must be a UUID'),
  name: z.string().min(1).max(256).optional(),
  plan: z.string().min(1).max(128),
  region: z.string().min(1).max(128).default('us'),
  callback_url: z.string().max(2048).optional(),
  oauth_grant: oauthGrantSchema,
  // a bare `--flag` arrives as `true` (the CLI's parseConfig); see src/domain/options.ts
  options: z.record(z.string().max(256), z.union([z.string().max(4096), z.boolean()])).nullable().optional(),
  log_input_url: z.string().max(2048).nullable().optional(),
  log_drain_token: z.string().max(512).nullable().optional(),
});
export type ProvisionBody = z.infer<typeof provisionBodySchema>;

export const planChangeBodySchema = z.looseObject({
  plan: z.string().min(1).max(128),
  heroku_id: z.string().max(256).optional(),
  uuid: z.string().max(64).optional(),
});
export type PlanChangeBody = z.infer<typeof planChangeBodySchema>;

export const ssoFormSchema = z.looseObject({
  resource_id: z.string().max(64).optional(),
  id: z.string().max(64).optional(),
  resource_token: z.string().max(128).optional(),
  user_scoped_resource_token: z.string().max(128).optional(),
  token: z.string().max(128).optional(),
  timestamp: z.string().max(32),
  user_id: z.string().max(256).optional(),
  email: z.string().max(320).optional(),
  app: z.string().max(256).optional(),
  context_app: z.string().max(256).optional(),
  'nav-data': z.string().max(8192).optional(),
});
export type SsoForm = z.infer<typeof ssoFormSchema>;

export const provisionResponseSchema = z.object({ id: z.string(), message: z.string() });
export const messageResponseSchema = z.object({ message: z.string() });

/** A readable one-line summary of a zod error. */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

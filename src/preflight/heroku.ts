import { DEV_SECRETS, type Config } from '../config';
import type { HerokuClients } from '../clients/heroku';
import type { HttpClient } from '../clients/http';
import { CheckFailure, type Report } from './report';

/**
 * The Heroku side of the preflight: the OAuth client secret (id.heroku.com tells a wrong secret
 * from a good one), the values the add-on manifest repeats (no placeholder, no development default,
 * the same as a manifest file when one is given), and the public URL (https, answers /healthz).
 */

export type HerokuPreflightConfig = Pick<Config, 'ADDON_ID' | 'ADDON_PASSWORD' | 'SSO_SALT' | 'PUBLIC_URL' | 'HEROKU_ID_URL'>;

export const HEROKU_CHECK = {
  secret: 'heroku: OAuth client secret',
  manifest: 'heroku: manifest values',
  publicUrl: 'heroku: public URL',
} as const;

const PLACEHOLDER = 'REPLACE_WITH_';

/** The add-on manifest's fields the service's settings must match (addon-manifest.json). */
export interface ManifestFile {
  id?: unknown;
  api?: { password?: unknown; sso_salt?: unknown; production?: { base_url?: unknown; sso_url?: unknown } };
}

/**
 * What is wrong with the values the manifest shares with the service (pure): placeholders,
 * development defaults, no PUBLIC_URL, and, given the manifest to push, every field that differs.
 * Names settings and fields, never a secret value.
 */
export function manifestProblems(cfg: HerokuPreflightConfig, manifest?: ManifestFile): string[] {
  const out: string[] = [];
  for (const k of ['ADDON_ID', 'ADDON_PASSWORD', 'SSO_SALT', 'PUBLIC_URL'] as const) if (cfg[k]?.includes(PLACEHOLDER)) out.push(`${k} holds a ${PLACEHOLDER}… placeholder`);
  if (cfg.ADDON_PASSWORD === DEV_SECRETS.ADDON_PASSWORD) out.push('ADDON_PASSWORD is the development default');
  if (cfg.SSO_SALT === DEV_SECRETS.SSO_SALT) out.push('SSO_SALT is the development default');
  if (!cfg.PUBLIC_URL) out.push('PUBLIC_URL is not set (the manifest’s base_url and sso_url are on it)');
  if (manifest) {
    const base = cfg.PUBLIC_URL?.replace(/\/+$/, '');
    const want: [string, unknown, unknown][] = [
      ['id', manifest.id, cfg.ADDON_ID],
      ['api.password', manifest.api?.password, cfg.ADDON_PASSWORD],
      ['api.sso_salt', manifest.api?.sso_salt, cfg.SSO_SALT],
      ['api.production.base_url', manifest.api?.production?.base_url, base && `${base}/heroku/resources`],
      ['api.production.sso_url', manifest.api?.production?.sso_url, base && `${base}/sso/login`],
    ];
    for (const [field, got, expected] of want) {
      if (typeof got === 'string' && got.includes(PLACEHOLDER)) out.push(`the manifest's ${field} is still a placeholder`);
      else if (expected !== undefined && got !== expected) out.push(`the manifest's ${field} differs from the service's setting`);
    }
  }
  return out;
}

export async function herokuChecks(report: Report, cfg: HerokuPreflightConfig, heroku: HerokuClients, service: HttpClient | null, manifest?: ManifestFile): Promise<void> {
  await report.check(HEROKU_CHECK.secret, async () => {
    const { verdict, status, code } = await heroku.oauth.checkClientSecret();
    const answer = `${status}${code ? ` ${code}` : ''}`;
    if (verdict === 'accepted') return `accepted by ${cfg.HEROKU_ID_URL} (a made-up refresh token got ${answer})`;
    if (verdict === 'refused') {
      throw new CheckFailure(
        `${cfg.HEROKU_ID_URL} refused the client secret (${answer})`,
        'copy the OAuth client secret from the Add-on Partner Portal (your add-on → OAuth) into HEROKU_OAUTH_CLIENT_SECRET',
      );
    }
    throw new CheckFailure(`${cfg.HEROKU_ID_URL} answered ${answer}, which says neither yes nor no`, 'check HEROKU_ID_URL (https://id.heroku.com) and run the preflight again');
  });

  await report.check(HEROKU_CHECK.manifest, async () => {
    const problems = manifestProblems(cfg, manifest);
    if (problems.length) {
      throw new CheckFailure(
        problems.join('; '),
        'set the real values (heroku config:set …) and push the manifest with the same ones (README "Pushing the manifest")',
      );
    }
    return manifest ? 'set, and the same as the manifest file' : 'set (give --manifest <file> to compare them with the manifest you push)';
  });

  await report.check(HEROKU_CHECK.publicUrl, async () => {
    if (!cfg.PUBLIC_URL || !service) throw new CheckFailure('PUBLIC_URL is not set', 'set PUBLIC_URL to the service app’s https origin (heroku apps:info: "Web URL")');
    if (new URL(cfg.PUBLIC_URL).protocol !== 'https:') {
      throw new CheckFailure(`${cfg.PUBLIC_URL} is not https (Heroku sends Basic credentials and SSO tokens to it)`, 'set PUBLIC_URL to the https:// origin of the service app');
    }
    const res = await service.get<unknown>('/healthz', { okStatuses: [301, 302, 307, 308, 404, 503], maxTries: 2, op: 'service.healthz' });
    if (res.status !== 200) throw new CheckFailure(`GET ${cfg.PUBLIC_URL}/healthz answered ${res.status}`, 'PUBLIC_URL must be this service’s own origin: check the host (heroku domains) and that the web dyno runs (heroku ps)');
    return `${cfg.PUBLIC_URL}/healthz answers 200`;
  });
}

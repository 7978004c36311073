import { encryptionKeyring, loadConfigOrExit, secretValues } from './config';
import { createLogger, type Logger } from './logger';
import { aadFor, SecretBox, type SealedField } from './secrets';
import { AddonStore, RecordNotFoundError } from './store/addons';
import { connectRedis } from './store/redis';

/**
 * `npm run reseal` (on Heroku: `heroku run npm run reseal`, or `node dist/src/reseal.js`): moves
 * every sealed value of every add-on record to the newest key of ENCRYPTION_KEYS (and to the v2
 * format). Run it after every dyno runs with the new keyring; then the old key can go.
 *
 * Each record is rewritten by the store's compare-and-set, so a worker writing the same record
 * meanwhile loses nothing: the reseal reads again and re-applies. A value no key opens is left as
 * it is and reported (exit code 1).
 */

const FIELDS: readonly SealedField[] = ['oauthGrantSealed', 'herokuTokensSealed', 'logInputUrlSealed', 'webhookSecretsSealed', 'originSecretSealed', 'keyRevealSealed'];

export interface ResealReport {
  records: number;
  /** Records rewritten under the newest key. */
  moved: number;
  /** Records with nothing to move (already current, or nothing sealed). */
  current: number;
  /** `<uuid>:<field>` of values no key of the ring opens. */
  unreadable: string[];
}

export async function resealAll(store: AddonStore, box: SecretBox, logger?: Logger): Promise<ResealReport> {
  const report: ResealReport = { records: 0, moved: 0, current: 0, unreadable: [] };
  for (const uuid of await store.allIds()) {
    report.records++;
    const bad = new Set<string>();
    const { changed } = await store.update(uuid, (r) => {
      bad.clear();
      let next = r;
      for (const field of FIELDS) {
        const sealed = r[field];
        if (!sealed || box.isCurrent(sealed)) continue;
        const aad = aadFor(r.uuid, field);
        try {
          next = { ...next, [field]: box.seal(box.open(sealed, aad), aad) };
        } catch {
          bad.add(`${r.uuid}:${field}`);
        }
      }
      return next === r ? null : next;
    }).catch((err: unknown) => {
      // a record removed meanwhile has nothing left to move
      if (err instanceof RecordNotFoundError) return { changed: false };
      throw err;
    });
    if (changed) report.moved++;
    else report.current++;
    report.unreadable.push(...bad);
  }
  logger?.info({ ...report, unreadable: report.unreadable.length, key: box.currentKeyId }, 'reseal finished');
  for (const which of report.unreadable) logger?.error({ value: which }, 'no key of ENCRYPTION_KEYS opens this sealed value');
  return report;
}

export async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'anypoint-api-gateway/reseal', secrets: secretValues(config) });
  const redis = connectRedis(config, 'worker');
  try {
    const report = await resealAll(new AddonStore(redis, config.KEY_PREFIX), new SecretBox(encryptionKeyring(config)), logger);
    process.exitCode = report.unreadable.length ? 1 : 0;
  } finally {
    redis.disconnect();
  }
}

if (require.main === module) void main();

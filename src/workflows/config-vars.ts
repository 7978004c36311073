import type { Which } from '../targets';
import { placementOf } from '../targets/placement';
import { ORIGIN_SECRET_VAR } from '../domain/boundary';
import { originSecretOf } from './boundary';
import { type AddonStep, made, platformFor } from './deps';

/**
 * The app's config vars through the Partner API: the proxy URL and the API instance id of a
 * placement (the current one when provisioning, the new one when moving to another target) and,
 * when provisioning, the origin secret the gateway sends (a move keeps the app's). After
 * provisioning each change makes a release: Heroku restarts the app with the new values.
 */
export function setConfigVars(which: Which): AddonStep {
  return {
    name: which === 'placement' ? 'setConfigVars' : 'switchConfigVars',
    label: which === 'placement' ? 'Setting the config vars' : 'Pointing the config vars at the new gateway',
    async run({ deps, rec }) {
      const p = placementOf(rec, which);
      await platformFor(deps, rec).setConfig(rec.uuid, {
        ANYPOINT_API_GATEWAY_URL: p.proxyUrl as string,
        ANYPOINT_API_GATEWAY_API_ID: String(p.apiId),
        ...(which === 'placement' ? { [ORIGIN_SECRET_VAR]: originSecretOf(deps, rec).current } : {}),
      });
      return made({ configuredUrl: p.proxyUrl });
    },
  };
}

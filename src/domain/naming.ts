/**
 * Names of remote resources, all derived from the add-on uuid so any retry finds what an earlier
 * try made. Pure functions.
 */

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: string): boolean {
  return UUID_RE.test(v);
}

/** Exchange asset id: lower-case, deterministic. */
export function assetIdFor(uuid: string): string {
  return `heroku-addon-${uuid.toLowerCase()}`;
}

export const ASSET_VERSION = '1.0.0';

/** CloudHub names: 3–42 chars, lower-case letters, digits and dashes, no leading/trailing dash. */
export const CLOUDHUB_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{1,40})[a-z0-9]$/;

export function isValidCloudHubName(name: string): boolean {
  return name.length >= 3 && name.length <= 42 && CLOUDHUB_NAME_RE.test(name) && !name.endsWith('-');
}

/**
 * CloudHub application name for attempt n (0 = the plain name). "aag-" + 32 hex chars of the uuid
 * = 36 chars; a suffix "-<n>" keeps it within 42.
 */
export function cloudHubNameFor(uuid: string, attempt = 0): string {
  const hex = uuid.toLowerCase().replace(/[^0-9a-f]/g, '');
  const base = `aag-${hex}`;
  const name = attempt === 0 ? base : `${base}-${attempt}`;
  return name.slice(0, 42).replace(/-+$/, '');
}

/** Regions the add-on is offered in (manifest "regions": us, eu) and the Heroku region names that map to them. */
const SUPPORTED = new Set([
  'us',
  'eu',
  'amazon-web-services::us-east-1',
  'amazon-web-services::eu-west-1',
]);

export function isSupportedRegion(region: string): boolean {
  return SUPPORTED.has(region);
}

export const SUPPORTED_REGIONS = [...SUPPORTED];

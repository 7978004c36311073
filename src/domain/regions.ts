/**
 * Regions the add-on is offered in (manifest "regions": us, eu) and the Heroku region names that
 * map to them. An add-on's API runs in its region's CloudHub 2.0 space (ANYPOINT_REGION_SPACES), so
 * an `eu` add-on's traffic stays in the EU.
 */
export type Region = 'us' | 'eu';

const REGIONS: Record<string, Region> = {
  us: 'us',
  eu: 'eu',
  'amazon-web-services::us-east-1': 'us',
  'amazon-web-services::eu-west-1': 'eu',
};

export function isSupportedRegion(region: string): boolean {
  return Object.hasOwn(REGIONS, region);
}

/** The add-on's region key (`us` | `eu`) from Heroku's region name; `us` for anything unknown (validated at the door). */
export function regionOf(herokuRegion: string): Region {
  return REGIONS[herokuRegion] ?? 'us';
}

export const SUPPORTED_REGIONS = Object.keys(REGIONS);

/** The add-on's plans: one table, read by the routes (validation), the workflows and the dashboard. */
export interface Plan {
  slug: string;
  name: string;
  maximumRequests: number;
  timePeriodInMilliseconds: number;
  priceNote: string;
  /** API keys (client applications) the dashboard lets the add-on have at once. */
  maxApiKeys: number;
}

export const PLANS: readonly Plan[] = [
  { slug: 'test', name: 'Test', maximumRequests: 60, timePeriodInMilliseconds: 60_000, priceNote: 'free, for trying it', maxApiKeys: 2 },
  { slug: 'basic', name: 'Basic', maximumRequests: 1_000, timePeriodInMilliseconds: 60_000, priceNote: '', maxApiKeys: 20 },
  { slug: 'premium', name: 'Premium', maximumRequests: 10_000, timePeriodInMilliseconds: 60_000, priceNote: '', maxApiKeys: 200 },
] as const;

export const PLAN_SLUGS = PLANS.map((p) => p.slug);

/** The free plan: MAX_FREE_ADDONS caps how many of it are live at once. */
export const FREE_PLAN = 'test';

export function isFreePlan(slug: string): boolean {
  return findPlan(slug)?.slug === FREE_PLAN;
}

export function findPlan(slug: string): Plan | undefined {
  // Heroku sends the slug without the add-on prefix; tolerate "anypoint-api-gateway:basic" too.
  const bare = slug.includes(':') ? slug.slice(slug.lastIndexOf(':') + 1) : slug;
  return PLANS.find((p) => p.slug === bare);
}

export function describeLimit(plan: Plan): string {
  const perMinute = plan.timePeriodInMilliseconds === 60_000;
  return perMinute
    ? `${plan.maximumRequests.toLocaleString('en-US')} requests / minute`
    : `${plan.maximumRequests} requests / ${plan.timePeriodInMilliseconds} ms`;
}

/** The rate-limiting policy's configurationData for a plan (Anypoint rate-limiting 1.4.x). */
export function rateLimitConfiguration(plan: Plan) {
  return {
    rateLimits: [{ maximumRequests: plan.maximumRequests, timePeriodInMilliseconds: plan.timePeriodInMilliseconds }],
    exposeHeaders: true,
    clusterizable: true,
  };
}

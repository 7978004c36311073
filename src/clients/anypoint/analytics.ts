import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { eventFromExport, EXPORT_FIELDS, type GatewayEvent } from '../../domain/traffic';
import { type ContextProvider, seg } from './context';

/** MuleSoft's limit (and default) of events one export call answers. */
export const EXPORT_MAX_RESULTS = 20_000;

export interface EventsQuery {
  /** API instance ids; absent or empty: every API of the environment. */
  apiIds?: readonly string[];
  /** [from, to) in epoch ms. */
  from: number;
  to: number;
  /** At most this many (default and maximum EXPORT_MAX_RESULTS). */
  maxResults?: number;
}

export interface EventsPage {
  events: GatewayEvent[];
  /** Rows the export answered (rows naming no API or time are dropped from `events`). */
  rows: number;
  /** The answer holds `maxResults` rows: there may be more in the window (read it in smaller slices). */
  capped: boolean;
}

/**
 * Analytics Events Export (`/analytics/1.0/{org}/environments/{env}/events`, vendor spec
 * analytics-event-export): the raw events of the environment's API gateways, JSON, a time window
 * per call. There is no cursor and no paging: a caller slices time, and reads a slice again in
 * halves when an answer is capped. One try per call (`retry: 'none'`): the export allows about 10
 * calls a minute per organisation, so the caller decides when to call again rather than the HTTP
 * layer spending the budget on retries.
 */
export class AnalyticsClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  async events(q: EventsQuery): Promise<EventsPage> {
    const ctx = await this.context();
    const maxResults = Math.min(EXPORT_MAX_RESULTS, Math.max(1, q.maxResults ?? EXPORT_MAX_RESULTS));
    const res = await this.http.get<unknown>(`/analytics/1.0/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/events`, {
      query: {
        format: 'json',
        // the spec: comma- or period-delimited; names with spaces are URL-encoded by the query builder
        fields: EXPORT_FIELDS.join('.'),
        apiIds: q.apiIds?.length ? q.apiIds.join(',') : undefined,
        startDate: new Date(q.from).toISOString(),
        endDate: new Date(q.to).toISOString(),
        maxResults,
      },
      retry: 'none',
      op: 'analytics.events',
    });
    if (!Array.isArray(res.data)) throw new UnexpectedResponseError('analytics', 'the events export answered something other than a JSON array');
    const events: GatewayEvent[] = [];
    for (const row of res.data) {
      const e = eventFromExport(row);
      // the window is half-open: an event at exactly `to` belongs to the next one
      if (e && e.at >= q.from && e.at < q.to) events.push(e);
    }
    return { events, rows: res.data.length, capped: res.data.length >= maxResults };
  }
}

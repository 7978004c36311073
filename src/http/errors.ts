/** Errors the routes turn into responses: a status, a message a person can read, optional headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (m: string) => new HttpError(400, m);
export const unauthorized = (m = 'authentication required') =>
  new HttpError(401, m, { 'WWW-Authenticate': 'Basic realm="anypoint-api-gateway"' });
export const forbidden = (m: string) => new HttpError(403, m);
export const notFound = (m: string) => new HttpError(404, m);
export const unprocessable = (m: string) => new HttpError(422, m);
export const tooManyRequests = (m: string, retryAfterSeconds: number) => new HttpError(429, m, { 'Retry-After': String(retryAfterSeconds) });

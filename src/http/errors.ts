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
export const conflict = (m: string) => new HttpError(409, m);
export const gone = (m: string) => new HttpError(410, m);
export const unprocessable = (m: string) => new HttpError(422, m);
export const unavailable = (m = 'service temporarily unavailable, try again shortly') => new HttpError(503, m, { 'Retry-After': '5' });

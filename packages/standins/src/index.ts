/** The local stand-ins for Anypoint Platform and Heroku (tests, demo, bench). Never part of the product. */
export * from './anypoint';
export * from './heroku';
export { unexpectedViolations } from './contract';
export { createOriginApp, ORIGIN_SECRET_HEADER, type OriginApp, type OriginAppOptions, type OriginCall } from './heroku/origin-app';

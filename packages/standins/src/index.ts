/** The local stand-ins for Anypoint Platform and Heroku (tests, demo, bench). Never part of the product. */
export * from './anypoint';
export * from './heroku';
export { unexpectedViolations } from './contract';

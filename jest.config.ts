import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30_000,
  // every stand-in's requests and answers checked against the vendor specs
  setupFilesAfterEnv: ['<rootDir>/test/helpers/contract-check.ts'],
  // Reliability scenarios run with `npm run test:reliability`; `.ci/run` picks its fast subset.
  testPathIgnorePatterns: ['/node_modules/', '/test/reliability/slow/'],
};

export default config;

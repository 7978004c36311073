#!/usr/bin/env node
// Runs the driver from its TypeScript source (a development tool: no build step of its own).
require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
require('../src/cli.ts')
  .main()
  .then((code) => {
    process.exitCode = code;
  });

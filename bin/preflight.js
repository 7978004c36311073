#!/usr/bin/env node
// `npm run preflight`: in development (ts-node installed) the TypeScript source, so it never runs a
// stale build; on the service app (production install, no ts-node) the build, dist/src/preflight.js.
const path = require('node:path');

let source = true;
try {
  require.resolve('ts-node');
} catch {
  source = false;
}
let entry;
if (source) {
  require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
  entry = require(path.join(__dirname, '..', 'src', 'preflight.ts'));
} else {
  entry = require(path.join(__dirname, '..', 'dist', 'src', 'preflight.js'));
}
entry.main().then((code) => {
  process.exitCode = code;
});

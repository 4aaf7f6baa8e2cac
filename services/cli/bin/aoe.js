#!/usr/bin/env node
'use strict';
/*
 * Runs dist/aoe.cjs (the bundle `npm run build` makes, through a V8 code
 * cache) when it is there and not older than the tsc output it was made from;
 * otherwise dist/src/main.js, which `tsc -b` alone gives. AOE_BUNDLE=0 forces
 * the latter.
 */
const { join } = require('node:path');
const { bundleIsCurrent, runBundle } = require('./run-bundle.js');

const dist = join(__dirname, '..', 'dist');

if (process.env.AOE_BUNDLE !== '0' && bundleIsCurrent(dist)) {
  runBundle(join(dist, 'aoe.cjs'), process.argv.slice(2));
} else {
  require('../dist/src/main.js');
}

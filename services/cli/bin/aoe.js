#!/usr/bin/env node
'use strict';
/*
 * Runs dist/aoe.cjs (the bundle `npm run build` makes, through a V8 code
 * cache) when it is there and not older than the tsc output it was made from;
 * otherwise dist/src/main.js, which `tsc -b` alone gives. AOE_BUNDLE=0 forces
 * the latter.
 */
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'aoe.cjs');

/** False when there is no bundle, or a project in it was rebuilt after it (its tsbuildinfo is newer). */
function bundleIsCurrent() {
  let built;
  let manifest;
  try {
    built = statSync(bundle).mtimeMs;
    manifest = JSON.parse(readFileSync(join(dist, 'aoe.bundle.json'), 'utf8'));
  } catch {
    return false;
  }
  return manifest.buildInfo.every((file) => {
    try {
      return statSync(join(dist, file)).mtimeMs <= built;
    } catch {
      return true; // an install without build info (a copied dist) runs the bundle as it is
    }
  });
}

if (process.env.AOE_BUNDLE !== '0' && bundleIsCurrent()) {
  require('./run-bundle.js').runBundle(bundle, process.argv.slice(2));
} else {
  require('../dist/src/main.js');
}

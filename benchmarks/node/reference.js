#!/usr/bin/env node
// Reference benchmark: the official Node tools on the same MJML text.
//
// Usage: node reference.js INPUT.mjml ITERATIONS
//        node reference.js INPUT.mjml paired
//
// `mjml` (compiler) and `juice` (CSS inliner) are resolved with the normal
// CommonJS rules, i.e. from NODE_PATH (benchmarks/node_reference.py points it
// at a node_modules folder outside the repository). Everything runs in this one
// process, so Node start-up and module loading are not timed.
//
// Prints one line of JSON to stdout:
//   {"mjml_ms", "juice_ms", "total_ms" (medians over the timed runs),
//    "html_bytes" (UTF-8 size of the final juice output),
//    "mjml_version", "juice_version", "iterations"}
// With "paired", after the warm-up it prints "ready", then runs one timed
// iteration per line read from stdin and prints "T <total ms>" for each: a
// benchmark can alternate with it sample by sample (see node_reference.py).
// On any error: exit status 1 and one line on stderr.
'use strict';

const fs = require('fs');
const path = require('path');

// Enough for V8 to optimise the hot paths: per-iteration times measured here
// show no downward trend after the first few runs.
const WARMUP_RUNS = 10;
const MJML_OPTIONS = Object.freeze({ validationLevel: 'soft' });

function fail(message) {
  const text = String(message).replace(/\s+/g, ' ').trim();
  process.stderr.write(`reference.js: error: ${text}\n`);
  process.exitCode = 1;
}

// Some packages export the function as `default` (ESM interop); accept both.
function asFunction(mod, name) {
  if (typeof mod === 'function') return mod;
  if (mod && typeof mod.default === 'function') return mod.default;
  throw new Error(`package ${name} does not export a function`);
}

function loadPackage(name) {
  try {
    return require(name);
  } catch (err) {
    throw new Error(
      `cannot load npm package '${name}' (is NODE_PATH set to a node_modules ` +
        `folder holding it?): ${err.message}`,
    );
  }
}

// The version from the package's own package.json. `require('x/package.json')`
// is refused by packages whose "exports" map hides it, so fall back to walking
// up from the resolved entry point.
function packageVersion(name) {
  try {
    return String(require(`${name}/package.json`).version);
  } catch (_err) {
    // fall through
  }
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const meta = JSON.parse(fs.readFileSync(candidate, 'utf8'));
      if (meta.name === name) return String(meta.version);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function nsToMs(ns) {
  return Number(ns) / 1e6;
}

function round(ms) {
  return Math.round(ms * 1e4) / 1e4;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 2) {
    throw new Error('usage: node reference.js INPUT.mjml ITERATIONS');
  }
  const [inputPath, iterText] = args;
  const paired = iterText === 'paired';
  if (!paired && (!/^\d+$/.test(iterText) || Number(iterText) < 1)) {
    throw new Error(`ITERATIONS must be a positive integer, got '${iterText}'`);
  }
  const iterations = Number(iterText);
  const src = fs.readFileSync(inputPath, 'utf8');

  const mjml2html = asFunction(loadPackage('mjml'), 'mjml');
  const juice = asFunction(loadPackage('juice'), 'juice');
  const mjmlVersion = packageVersion('mjml');
  const juiceVersion = packageVersion('juice');

  // mjml 4 returns {html, errors}; mjml 5 returns a Promise of it. Awaiting
  // only when needed keeps mjml 4 fully synchronous inside the timed region.
  async function compile() {
    let result = mjml2html(src, MJML_OPTIONS);
    if (result && typeof result.then === 'function') result = await result;
    if (!result || typeof result.html !== 'string' || result.html === '') {
      throw new Error('mjml returned no HTML');
    }
    return result.html;
  }

  let out = '';
  for (let i = 0; i < WARMUP_RUNS; i += 1) {
    out = juice(await compile());
  }

  if (paired) {
    await servePaired(compile, juice);
    return;
  }

  const mjmlMs = [];
  const juiceMs = [];
  const totalMs = [];
  for (let i = 0; i < iterations; i += 1) {
    const t0 = process.hrtime.bigint();
    const html = await compile();
    const t1 = process.hrtime.bigint();
    out = juice(html);
    const t2 = process.hrtime.bigint();
    mjmlMs.push(nsToMs(t1 - t0));
    juiceMs.push(nsToMs(t2 - t1));
    totalMs.push(nsToMs(t2 - t0));
  }
  if (typeof out !== 'string' || out === '') {
    throw new Error('juice returned no HTML');
  }

  const report = {
    mjml_ms: round(median(mjmlMs)),
    juice_ms: round(median(juiceMs)),
    total_ms: round(median(totalMs)),
    html_bytes: Buffer.byteLength(out, 'utf8'),
    mjml_version: mjmlVersion,
    juice_version: juiceVersion,
    iterations,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function servePaired(compile, juice) {
  process.stdout.write('ready\n');
  const lines = require('readline').createInterface({ input: process.stdin });
  for await (const _line of lines) {
    const t0 = process.hrtime.bigint();
    const out = juice(await compile());
    const t1 = process.hrtime.bigint();
    if (typeof out !== 'string' || out === '') throw new Error('juice returned no HTML');
    process.stdout.write(`T ${nsToMs(t1 - t0)}\n`);
  }
}

main().catch((err) => fail(err && err.message ? err.message : err));

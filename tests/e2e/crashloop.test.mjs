// Crash-loop smoke: a few cycles of tests/crashloop/crashloop.mjs (kill -9 the server under load
// from SDK Workers, restart it on the same db and port, then verify every acknowledged start
// completed exactly once with a well-formed history). `make crashloop CYCLES=100` runs the long
// version. The script runs in its own process group so that, whatever happens, this test can
// take down the script, its worker host and its server together.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDGLASS_BIN, assertBinary } from './lib/server.mjs';
import { getBundle } from './lib/worker.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(here, '..', 'crashloop', 'crashloop.mjs');
const CYCLES = 10;
const RUN_TIMEOUT_MS = 150_000;

test.before(async () => {
  assertBinary();
  await getBundle(); // warms the on-disk bundle cache the script's processes read
});

test(`crash loop smoke: ${CYCLES} kill -9 cycles under SDK load lose, duplicate and corrupt nothing`, async (t) => {
  const child = spawn(process.execPath, [SCRIPT, '--cycles', String(CYCLES), '--rate', '10', '--workers', '2', '--quiet'], {
    env: { ...process.env, SANDGLASS_BIN },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: -pid reaches the script, its worker host and server
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  const killGroup = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  let timer;
  t.after(async () => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM'); // the script stops its server and worker host, keeps its temp dir
      const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
      if (!gone) killGroup('SIGKILL');
    }
  });
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), RUN_TIMEOUT_MS);
  });
  const t0 = Date.now();
  const res = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  t.diagnostic(`crash loop took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const fail = (msg) => {
    t.diagnostic(out);
    console.error(out);
    assert.fail(msg);
  };
  if (res === 'timeout') fail(`the crash loop did not finish within ${RUN_TIMEOUT_MS} ms`);
  const line = out.split('\n').find((l) => l.startsWith('CRASHLOOP_SUMMARY '));
  if (!line) fail(`no CRASHLOOP_SUMMARY line (exit ${res[0]}, signal ${res[1]})`);
  const s = JSON.parse(line.slice('CRASHLOOP_SUMMARY '.length));
  t.diagnostic(
    `seed ${s.seed}: ${s.kills} kills, ${s.acknowledged} acknowledged, ${s.completed} completed, ` +
      `${s.lost} lost, ${s.duplicated} duplicated, ${s.malformed} malformed`,
  );
  try {
    assert.equal(s.lost, 0, 'acknowledged starts lost');
    assert.equal(s.duplicated, 0, 'workflow ids with more than one run');
    assert.equal(s.malformed, 0, 'malformed histories or results');
    assert.equal(s.incomplete, 0, 'runs not completed in time');
    assert.equal(s.restartFailed, false, 'the server did not restart');
    assert.equal(s.unexpectedExits, 0, 'unexpected server exits');
    assert.equal(s.errors, 0, 'errors (see the output)');
    assert.equal(s.kills, CYCLES, 'kills');
    assert.equal(s.cycles, CYCLES, 'cycles');
    assert.ok(s.acknowledged > 0, 'some starts were acknowledged');
    assert.equal(s.completed, s.acknowledged, 'every acknowledged start completed');
    assert.ok(s.ok, 'the script reports success');
    assert.equal(res[0], 0, 'exit status');
  } catch (err) {
    fail(err.message);
  }
});

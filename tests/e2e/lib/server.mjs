// Helpers for the end-to-end suites: start/stop the Sandglass binary on 127.0.0.1, free ports,
// temp dirs, bounded waits, and raw gRPC error decoding. Every wait here is bounded and every
// process started here is killed by stop()/kill9() or, as a last resort, when node exits.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of the binary under test. */
export const SANDGLASS_BIN = path.resolve(
  process.env.SANDGLASS_BIN || path.join(here, '..', '..', '..', 'build', 'sandglass'),
);

// Resolve transitive packages through @temporalio/client so the copies match the SDK's own.
const requireFromClient = createRequire(createRequire(import.meta.url).resolve('@temporalio/client'));
/** The SDK's generated protobuf root (temporal.api.*, google.rpc.*, grpc.health.v1.*). */
export const proto = requireFromClient('@temporalio/proto');
/** gRPC status codes as grpc-js names them. */
export const Status = requireFromClient('@grpc/grpc-js').status;
/** The SDK's own mapping from status details to typed errors (NamespaceNotFoundError, ...). */
export const { rethrowKnownErrorTypes } = requireFromClient('./helpers');

export const START_TIMEOUT_MS = 10_000;
export const STOP_TIMEOUT_MS = 5_000;
export const CALL_TIMEOUT_MS = 5_000;

/** Fails early and clearly when the binary is missing. */
export function assertBinary() {
  if (!fs.existsSync(SANDGLASS_BIN)) {
    throw new Error(`SANDGLASS_BIN ${SANDGLASS_BIN} does not exist (build it with make, or set SANDGLASS_BIN)`);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `label` if `promise` is not settled within `ms`. */
export async function bounded(promise, ms, label) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** True if a TCP connection to 127.0.0.1:port succeeds within `ms`. */
export function tcpOpen(port, ms = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** A fresh directory under os.tmpdir(); call cleanup() (e.g. from t.after) to remove it. */
export function tempDir(prefix = 'sandglass-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { path: dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// Last-resort cleanup: never leave a server behind if the test process exits.
const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Resolves {code, signal} once `proc` has exited, or null after `ms`. */
async function waitExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) return { code: proc.exitCode, signal: proc.signalCode };
  let timer;
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code, signal }));
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `SANDGLASS_BIN server start-dev --ip 127.0.0.1 --port P --headless [--db-filename F] ...args`
 * and waits (≤ START_TIMEOUT_MS) until the SDK's Connection can talk to it. P is a free port, or
 * `port` if given (e.g. to restart on the port of a server that was just killed).
 * With `ui: true` the web UI is served: `--ui-port U` (a free port) instead of `--headless`, and
 * the result has `uiPort` and `uiUrl` (http://127.0.0.1:U/).
 * Returns {address, port, proc, output(), connect(), stop(), kill9()}.
 */
export async function startServer(opts = {}) {
  if (!opts.port) return startServerOnce(opts);
  // A fixed port (a restart on the port of a server just killed) may still be held for a moment:
  // retry start-up failures for a bounded time.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      return await startServerOnce(opts);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

async function startServerOnce({ args = [], dbFile, port: fixedPort, ui = false } = {}) {
  assertBinary();
  const port = fixedPort || (await freePort());
  const uiPort = ui ? await freePort() : undefined;
  const argv = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  argv.push(...(ui ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (dbFile) argv.push('--db-filename', dbFile);
  argv.push(...args);

  const proc = spawn(SANDGLASS_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let log = `$ ${SANDGLASS_BIN} ${argv.join(' ')}\n`;
  const MAX_LOG = 256 * 1024;
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > MAX_LOG) log = '…' + log.slice(log.length - MAX_LOG);
  };
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);
  let spawnError;
  proc.on('error', (err) => {
    spawnError = err;
    append(`spawn error: ${err.message}\n`);
  });
  proc.on('exit', (code, signal) => {
    live.delete(proc);
    append(`[exited code=${code} signal=${signal}]\n`);
  });

  const address = `127.0.0.1:${port}`;
  const connections = [];
  let stopped = false;

  const server = {
    address,
    port,
    proc,
    argv,
    uiPort,
    uiUrl: ui ? `http://127.0.0.1:${uiPort}/` : undefined,
    /** Everything the server wrote to stdout/stderr so far. */
    output: () => log,
    /** A new SDK Connection, closed by stop()/kill9(). */
    async connect(opts = {}) {
      const conn = await Connection.connect({ address, connectTimeout: START_TIMEOUT_MS, ...opts });
      connections.push(conn);
      return conn;
    },
    async closeConnections() {
      const all = connections.splice(0);
      await Promise.allSettled(all.map((c) => bounded(c.close(), 2_000, 'Connection.close')));
    },
    /** SIGTERM, wait ≤ STOP_TIMEOUT_MS, then SIGKILL. Returns {code, signal, forced}. */
    async stop() {
      await server.closeConnections();
      if (stopped) return waitExit(proc, 0);
      stopped = true;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        return { code: proc.exitCode, signal: proc.signalCode, forced: false };
      }
      proc.kill('SIGTERM');
      const res = await waitExit(proc, STOP_TIMEOUT_MS);
      if (res) return { ...res, forced: false };
      proc.kill('SIGKILL');
      const killed = await waitExit(proc, STOP_TIMEOUT_MS);
      return { ...(killed ?? { code: null, signal: null }), forced: true };
    },
    /** SIGKILL and wait for the exit (bounded). */
    async kill9() {
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      const res = await waitExit(proc, STOP_TIMEOUT_MS);
      await server.closeConnections();
      return res;
    },
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    // Cheap TCP probe first, then a real SDK round trip (Connection.connect calls GetSystemInfo).
    for (;;) {
      if (spawnError) throw spawnError;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`server exited during start-up (code=${proc.exitCode} signal=${proc.signalCode})`);
      }
      if (await tcpOpen(port, 250)) break;
      if (Date.now() > deadline) throw new Error(`port ${port} not open after ${START_TIMEOUT_MS} ms`);
      await sleep(50);
    }
    let lastErr;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no gRPC connection after ${START_TIMEOUT_MS} ms: ${lastErr?.message}`);
      try {
        const conn = await Connection.connect({ address, connectTimeout: Math.min(left, 2_000) });
        await bounded(conn.close(), 2_000, 'Connection.close');
        break;
      } catch (err) {
        lastErr = err;
        if (proc.exitCode !== null || proc.signalCode !== null) throw err;
        await sleep(100);
      }
    }
  } catch (err) {
    await server.kill9();
    err.message += `\n--- server output ---\n${log}`;
    throw err;
  }
  return server;
}

/**
 * Runs `fn(server)` against a freshly started server, prints the server's output if `fn` throws,
 * and always stops the server (SIGTERM, then SIGKILL).
 */
export async function withServer(t, opts, fn) {
  const server = await startServer(opts);
  let result;
  try {
    result = await fn(server);
  } catch (err) {
    t.diagnostic(`server output:\n${server.output()}`);
    console.error(`--- server output (${t.name}) ---\n${server.output()}`);
    await server.stop();
    throw err;
  }
  // A graceful stop must exit 0; with a sanitizer build (make e2e BUILD=sanitize) a leak or
  // UB report at exit shows up here as a non-zero status.
  const end = await server.stop();
  if (!end.forced && end.code !== null && end.code !== 0) {
    throw new Error(`server exited with status ${end.code} after SIGTERM\n--- server output ---\n${server.output()}`);
  }
  return result;
}

/** Runs the binary to completion (bounded), e.g. for --help. Returns {status, signal, stdout, stderr}. */
export function runCli(args, timeoutMs = 5_000) {
  assertBinary();
  const res = spawnSync(SANDGLASS_BIN, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: res.status, signal: res.signal, stdout: res.stdout ?? '', stderr: res.stderr ?? '', error: res.error };
}

/** Runs one raw RPC with a deadline so a hung server fails the test instead of stalling it. */
export function rpc(conn, fn, ms = CALL_TIMEOUT_MS) {
  return conn.withDeadline(Date.now() + ms, fn);
}

/** Awaits `promise`, expecting a gRPC error; returns it (fails if the call succeeds). */
export async function grpcError(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail with a gRPC error, but it succeeded');
}

/** Decodes grpc-status-details-bin into {code, message, details:[{type, value}]}, or null if absent. */
export function statusDetails(err) {
  const raw = err?.metadata?.get?.('grpc-status-details-bin')?.[0];
  if (!raw || typeof raw === 'string') return null;
  const st = proto.google.rpc.Status.decode(raw);
  return {
    code: st.code,
    message: st.message,
    details: st.details.map((d) => ({ type: (d.type_url ?? '').replace(/^type\.googleapis\.com\//, ''), value: d.value })),
  };
}

/** Pids of live processes whose argv contains all of `needles` (Linux /proc). */
export function findPids(needles) {
  const pids = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    let argv;
    try {
      argv = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (needles.every((n) => argv.includes(n))) pids.push(Number(ent));
  }
  return pids;
}

/** True while /proc/<pid> exists and is not a zombie. */
export function pidAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

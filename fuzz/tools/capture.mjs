// Records real SDK traffic for the fuzz seed corpora (make fuzz-seeds; fuzz/README.md).
//
// Starts Sandglass (SANDGLASS_BIN, through tests/e2e/lib/server.mjs) behind a TCP proxy on
// 127.0.0.1 that writes every byte each client sends, one file per connection (conn-N.bin), to
// the directory given as argv[2]. Through the proxy, the official TypeScript SDK's Client
// (grpc-js) and Worker (Rust core, tonic, gzip) run a handful of the e2e workflows: activities
// that succeed, retry and fail for good, a timer, a local activity, a failing workflow task,
// plus namespace, search-attribute and history calls. Every wait is bounded; everything
// started here is stopped before exit. Run from tests/e2e (its node_modules).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, '..', '..', 'tests', 'e2e');
const { bounded, startServer } = await import(path.join(e2e, 'lib', 'server.mjs'));
const { startWorker } = await import(path.join(e2e, 'lib', 'worker.mjs'));
const require = createRequire(path.join(e2e, 'package.json'));
const { Client, Connection } = require('@temporalio/client');

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node capture.mjs OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

/** Forwards each connection to targetPort, keeping what the client sent. */
async function startRecorder(targetPort) {
  const captures = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const chunks = [];
    captures.push(chunks);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (c) => {
      chunks.push(Buffer.from(c));
      upstream.write(c);
    });
    upstream.on('data', (c) => client.write(c));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', closeBoth);
      s.on('error', closeBoth);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    save() {
      captures.forEach((chunks, i) => fs.writeFileSync(path.join(outDir, `conn-${i}.bin`), Buffer.concat(chunks)));
      return captures.length;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const server = await startServer();
const rec = await startRecorder(server.port);
const address = `127.0.0.1:${rec.port}`;
let worker;
let connection;
try {
  // The names the rpc target's stack also has (fuzz/fuzz_rpc.c): task queue "tq", workflow
  // "fuzz-wf"; so seeds addressing them get past the lookups there.
  const taskQueue = 'tq';
  worker = await startWorker(address, { taskQueue });
  connection = await bounded(Connection.connect({ address }), 10_000, 'Connection.connect');
  const client = new Client({ connection, namespace: 'default' });
  const svc = connection.workflowService;
  const ops = connection.operatorService;

  await bounded(svc.describeNamespace({ namespace: 'default' }), 5_000, 'describeNamespace');
  await bounded(svc.listNamespaces({ pageSize: 10 }), 5_000, 'listNamespaces');
  await bounded(
    svc.registerNamespace({ namespace: 'fuzz-ns', workflowExecutionRetentionPeriod: { seconds: 86400 } }),
    5_000,
    'registerNamespace',
  ).catch(() => {});
  await bounded(
    ops.addSearchAttributes({ namespace: 'default', searchAttributes: { FuzzKeyword: 2 } }),
    5_000,
    'addSearchAttributes',
  ).catch(() => {});
  await bounded(ops.listSearchAttributes({ namespace: 'default' }), 5_000, 'listSearchAttributes');

  const opts = (id) => ({ taskQueue, workflowId: id === 'seq' ? 'fuzz-wf' : `fuzz-${id}-${Date.now()}` });
  const act = { startToCloseTimeout: '5s', retry: { initialInterval: '100ms', maximumAttempts: 3 } };
  const runs = [
    ['sequence', [[{ name: 'echo', args: ['a'] }, { name: 'flaky', args: [1] }], act], 'seq'],
    ['sleeper', [200], 'timer'],
    ['tryFinally', [{ name: 'failNonRetryable', args: ['FuzzError', 'no'] }, { name: 'cleanup', args: ['x'] }, act], 'finally'],
    ['localActivityWorkflow', ['local'], 'local'],
    ['failsFirstSecond', [], 'wft-fail'],
    ['manyActivities', [3], 'many'],
  ];
  for (const [type, args, id] of runs) {
    const handle = await bounded(client.workflow.start(type, { ...opts(id), args }), 5_000, `start ${type}`);
    await bounded(handle.result(), 30_000, `result of ${type}`).catch(() => {});
    await bounded(handle.describe(), 5_000, 'describe');
    await bounded(handle.fetchHistory(), 5_000, 'fetchHistory');
  }
  const latest = client.workflow.getHandle('fuzz-wf');
  await bounded(latest.describe(), 5_000, 'describe fuzz-wf');
  await bounded(latest.fetchHistory(), 5_000, 'fetchHistory fuzz-wf');
} finally {
  if (worker) await worker.stop();
  if (connection) await bounded(connection.close(), 5_000, 'Connection.close').catch(() => {});
  rec.close();
  await server.stop();
}
console.log(`capture: ${rec.save()} connection(s) in ${outDir}`);

// A TCP proxy on 127.0.0.1 that forwards one HTTP/2 (h2c) connection per client to a target port
// and records every gRPC request message the client sends: {streamId, compressed, length, body}.
// Used to prove that the worker's NativeConnection really talks gzip to the server (no silent
// fallback to identity encoding).

import net from 'node:net';
import { once } from 'node:events';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_DATA = 0x0;
const FLAG_PADDED = 0x8;

/** Parses the client→server byte stream of one HTTP/2 connection. */
function makeClientParser(onMessage) {
  let buf = Buffer.alloc(0);
  let sawPreface = false;
  const perStream = new Map();
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (!sawPreface) {
      if (buf.length < PREFACE.length) return;
      if (!buf.subarray(0, PREFACE.length).equals(PREFACE)) throw new Error('not an h2c prior-knowledge connection');
      buf = buf.subarray(PREFACE.length);
      sawPreface = true;
    }
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const type = buf[3];
      const flags = buf[4];
      const streamId = buf.readUInt32BE(5) & 0x7fffffff;
      let payload = buf.subarray(9, 9 + len);
      buf = buf.subarray(9 + len);
      if (type !== FRAME_DATA) continue;
      if (flags & FLAG_PADDED) payload = payload.subarray(1, payload.length - payload[0]);
      let acc = Buffer.concat([perStream.get(streamId) ?? Buffer.alloc(0), payload]);
      // gRPC length-prefixed messages: 1 byte compressed flag, 4 bytes big-endian length.
      while (acc.length >= 5) {
        const mlen = acc.readUInt32BE(1);
        if (acc.length < 5 + mlen) break;
        onMessage({ streamId, compressed: acc[0] === 1, length: mlen, body: Buffer.from(acc.subarray(5, 5 + mlen)) });
        acc = acc.subarray(5 + mlen);
      }
      perStream.set(streamId, acc);
    }
  };
}

/** Starts the proxy; returns {port, messages, errors, close()}. */
export async function startH2Tap(targetPort) {
  const messages = [];
  const errors = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const parse = makeClientParser((m) => messages.push(m));
    client.on('data', (chunk) => {
      try {
        parse(chunk);
      } catch (err) {
        errors.push(err);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    messages,
    errors,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

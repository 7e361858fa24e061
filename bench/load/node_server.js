// Node.js peer for the load benchmarks (bench/load): the same answers as the Edgegate handlers.
//   GET /hello/<name>     -> 200 "hello <name>" (text/plain)
//   GET /items/<id>?q=..  -> 200 {"id":"<id>","q":"<q>","ok":true} (application/json)
// Usage: node node_server.js PORT IDLE_TIMEOUT_MS   (listens on 127.0.0.1 only)
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const idleTimeoutMs = Number(process.argv[3] || 600000);
const HELLO = /^\/hello\/([^/]+)$/;
const ITEMS = /^\/items\/([^/]+)$/;

function send(res, status, type, body) {
  res.writeHead(status, {'Content-Type': type, 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  let m = HELLO.exec(path);
  if (m) {
    return send(res, 200, 'text/plain', 'hello ' + decodeURIComponent(m[1]));
  }
  m = ITEMS.exec(path);
  if (m) {
    const params = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    const body = JSON.stringify({id: decodeURIComponent(m[1]), q: params.get('q') ?? '', ok: true});
    return send(res, 200, 'application/json', body);
  }
  send(res, 404, 'text/plain', 'not found');
});
server.keepAliveTimeout = idleTimeoutMs;
server.headersTimeout = idleTimeoutMs + 1000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

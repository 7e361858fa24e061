// SMTP capture server for the backend tests: accepts every message and writes it as one JSON
// file into a directory, for assertions (tests/e2e/backends.py smtp_messages()).
//
// Usage: node smtp-capture.js PORT CAPTURE_DIR USER PASSWORD [TLS_KEY TLS_CERT [TLS_PORT]]
// (listens on 127.0.0.1 only)
//
// AUTH PLAIN and LOGIN are offered with or without TLS; USER/PASSWORD is the only valid login
// (anything else gets 535), and unauthenticated senders are accepted too. STARTTLS is offered
// on PORT when a key and certificate are given (not required); with TLS_PORT too, that port
// speaks implicit TLS (SMTPS: TLS from the first byte). A file is
// <ms-since-epoch>-<seq>.json = {"from", "to": [...], "raw": full RFC 5322 text, "auth_user":
// user or null, "tls": whether the session was encrypted, "received_at": ISO time}; it is written
// under a temporary name and renamed, so a reader never sees half a message.
'use strict';

const fs = require('fs');
const path = require('path');
const { SMTPServer } = require('smtp-server');

const [port, captureDir, user, password, tlsKey, tlsCert, tlsPort] = process.argv.slice(2);
if (!port || !captureDir || !user || !password || Boolean(tlsKey) !== Boolean(tlsCert) ||
    (tlsPort && !tlsKey)) {
  console.error(
    'usage: node smtp-capture.js PORT CAPTURE_DIR USER PASSWORD [TLS_KEY TLS_CERT [TLS_PORT]]');
  process.exit(2);
}
fs.mkdirSync(captureDir, { recursive: true });
let sequence = 0;

// Writes one captured message atomically.
function save(session, raw) {
  const message = {
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((r) => r.address),
    raw: raw.toString('utf8'),
    auth_user: session.user || null,
    tls: Boolean(session.secure),
    received_at: new Date().toISOString(),
  };
  const name = `${Date.now()}-${String(sequence++).padStart(6, '0')}.json`;
  const tmp = path.join(captureDir, `.${name}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(message, null, 2));
  fs.renameSync(tmp, path.join(captureDir, name));
  return name;
}

const options = {
  name: 'edgegate-smtp-capture',
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: true,
  allowInsecureAuth: true,
  ...(tlsKey
    ? { key: fs.readFileSync(tlsKey), cert: fs.readFileSync(tlsCert) }
    : { disabledCommands: ['STARTTLS'] }),
  logger: false,
  onAuth(auth, session, callback) {
    if (auth.username === user && auth.password === password) {
      return callback(null, { user: auth.username });
    }
    console.log(`auth rejected for ${JSON.stringify(auth.username)}`);
    return callback(new Error('Invalid username or password'));
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      try {
        const name = save(session, Buffer.concat(chunks));
        console.log(`captured ${name}`);
        callback(null, `Captured as ${name}`);
      } catch (err) {
        console.error(`cannot write message: ${err.message}`);
        callback(new Error('Capture failed'));
      }
    });
  },
};

const servers = [[new SMTPServer(options), port]];
if (tlsPort) {
  servers.push([new SMTPServer({ ...options, secure: true }), tlsPort]);
}
for (const [server, serverPort] of servers) {
  server.on('error', (err) => console.error(`smtp error: ${err.message}`));
  server.listen(Number(serverPort), '127.0.0.1',
                () => console.log(`listening on 127.0.0.1:${serverPort}`));
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    let open = servers.length;
    for (const [server] of servers) {
      server.close(() => {
        if (--open === 0) process.exit(0);
      });
    }
  });
}

// The Firebase storage emulator (firebase-tools 15.34.2, pinned in
// package.json) as a Google Cloud Storage JSON API peer on loopback, without
// Java: its security-rules runtime is stubbed (the GCS API routes bypass
// rules anyway), and two of its departures from GCS are dealt with:
//  * it drops a leading '/' from the name of a multipart or resumable
//    upload (apis/gcloud.js getIncomingFileNameFromRequest), where GCS keeps
//    it, and WAL-E's layout puts one in front of every object name: a name
//    given in the query gets one more '/', for the emulator to drop;
//  * it finishes a resumable upload at its first chunk: when
//    FAKE_GCS_CHUNKS is set, fake_gcs_resumable_chunks.js (a hand-written
//    stand-in for what no local server does) takes over chunked uploads;
//  * it takes any bearer token or none: when FAKE_GCS_TOKENS names the
//    state directory of fake_gcs_token_endpoint.py, fake_gcs_auth.js
//    refuses requests without a token that endpoint issued.
// Private internals of firebase-tools are used: keep the version pinned.
//
// usage: node gcs_emulator.js PORT   (blobs go under $TMPDIR/firebase)
const path = require('path');
const modules = path.join(__dirname, 'node_modules');
const express = require(path.join(modules, 'express'));
const { StorageEmulator } = require(path.join(modules, 'firebase-tools/lib/emulator/storage'));
const server = require(path.join(modules, 'firebase-tools/lib/emulator/storage/server'));
const { EmulatorRegistry } = require(path.join(modules, 'firebase-tools/lib/emulator/registry'));

const port = Number(process.argv[2]);
const emulator = new StorageEmulator({ projectId: 'demo-wal', host: '127.0.0.1', port, auto_download: false });
for (const part of [emulator._rulesRuntime, emulator._rulesManager]) part.start = part.stop = async () => {};

const createApp = server.createApp;
server.createApp = async (projectId, e) => {
  const inner = await createApp(projectId, e);
  const outer = express();
  if (process.env.FAKE_GCS_TOKENS) outer.use(require('./fake_gcs_auth')(process.env.FAKE_GCS_TOKENS));
  outer.post('/upload/storage/v1/b/:bucket/o', (req, res, next) => {
    const type = req.query.uploadType;
    if ((type === 'multipart' || type === 'resumable') && typeof req.query.name === 'string' && req.query.name.startsWith('/'))
      req.query.name = '/' + req.query.name;
    next();
  });
  if (process.env.FAKE_GCS_CHUNKS) outer.use(require('./fake_gcs_resumable_chunks')(e));
  outer.use(inner);
  return outer;
};
EmulatorRegistry.start(emulator);

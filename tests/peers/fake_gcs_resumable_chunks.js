// fake_gcs_resumable_chunks.js: a hand-written stand-in for Google Cloud
// Storage's chunked resumable uploads, which no server that runs here
// implements (the Firebase emulator finishes a session at its first PUT).
// It sits in front of the emulator's own routes (gcs_emulator.js) and keeps
// the chunks in the emulator's upload service, so that the finished object
// is an ordinary emulator object. What it does, as GCS documents it:
//   PUT SESSION  Content-Range: bytes A-B/*      appends, 308 + Range: bytes=0-N
//                (a chunk must be a multiple of 256 KiB; bytes already held are skipped)
//   PUT SESSION  Content-Range: bytes A-B/TOTAL  appends and finishes: 200 + the object
//   PUT SESSION  Content-Range: bytes */TOTAL    finishes with what it holds
//   PUT SESSION  Content-Range: bytes */*        status: 308 (+ Range), or 200 once finished
//   DELETE SESSION                               cancels: 499; the session is gone (404) afterwards
// Faults to exercise a client's recovery (environment, for tests):
//   FAKE_GCS_KEEP_HALF=1     keep only the first half (whole 256 KiB units) of every
//                            other non-final chunk, as GCS may keep less than it was sent
//   FAKE_GCS_LOSE_ANSWER=N   answer every Nth chunk with 503 after keeping it
//   FAKE_GCS_LOSE_CHUNK=N    answer every Nth chunk with 503 without keeping any of it
// For the tests:
//   GET /_fake/resumable_sessions   the sessions neither finished nor cancelled, one a line
//   GET /_fake/stats                counts of chunks, status queries, halves kept, answers and chunks lost, cancels
const path = require('path');
const express = require(path.join(__dirname, 'node_modules', 'express'));
const storage = path.join(__dirname, 'node_modules', 'firebase-tools/lib/emulator/storage');
const { CloudStorageObjectMetadata } = require(path.join(storage, 'metadata'));
const { UploadStatus } = require(path.join(storage, 'upload'));

const QUANTUM = 256 * 1024;

module.exports = function fakeChunkedUploads(emulator) {
  const { uploadService, adminStorageLayer } = emulator;
  const router = express.Router();
  const keepHalf = !!process.env.FAKE_GCS_KEEP_HALF;
  const loseEvery = Number(process.env.FAKE_GCS_LOSE_ANSWER || 0);
  const dropEvery = Number(process.env.FAKE_GCS_LOSE_CHUNK || 0);
  const stats = { chunks: 0, status_queries: 0, halves_kept: 0, answers_lost: 0, chunks_lost: 0, cancelled: 0, finished: 0 };

  const session = (req) => {
    try {
      return uploadService.getResumableUpload(String(req.query.upload_id));
    } catch (e) {
      return undefined;
    }
  };
  const incomplete = (res, upload) => {
    if (upload.size > 0) res.set('Range', `bytes=0-${upload.size - 1}`);
    res.status(308).end();
  };
  const finish = async (res, upload) => {
    ++stats.finished;
    uploadService.finalizeResumableUpload(upload.id);
    upload.resource = new CloudStorageObjectMetadata(await adminStorageLayer.uploadObject(upload));
    res.status(200).json(upload.resource);
  };
  const error = (res, status, message, reason = 'invalid') =>
    res.status(status).json({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });

  router.get('/_fake/resumable_sessions', (req, res) => {
    const open = [...uploadService._uploads.values()].filter((u) => u.type === 2 && u.status === UploadStatus.ACTIVE);
    res.type('text/plain').send(open.map((u) => `${u.bucketId} ${u.objectId} ${u.size}\n`).join(''));
  });

  router.get('/_fake/stats', (req, res) => res.json(stats));

  router.delete('/upload/storage/v1/b/:bucket/o', (req, res) => {
    const upload = session(req);
    if (!upload || upload.status !== UploadStatus.ACTIVE) return res.sendStatus(404);
    uploadService.cancelResumableUpload(upload.id);
    ++stats.cancelled;
    res.status(499).end();
  });

  router.put('/upload/storage/v1/b/:bucket/o', express.raw({ type: () => true, limit: '130mb' }), async (req, res, next) => {
    const range = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(req.header('content-range') || '');
    if (!req.query.upload_id || !range) return next();  // a one-shot PUT: the emulator's own
    const upload = session(req);
    if (!upload || upload.status === UploadStatus.CANCELLED) return res.sendStatus(404);
    if (upload.status === UploadStatus.FINISHED) return res.status(200).json(upload.resource);
    const total = range[3] === '*' ? undefined : Number(range[3]);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (range[1] === undefined) {  // no data: a status query, or the end
      if (total === undefined) {
        ++stats.status_queries;
        return incomplete(res, upload);
      }
      if (total !== upload.size) return error(res, 400, `the session holds ${upload.size} bytes, not ${total}`);
      return finish(res, upload);
    }
    const first = Number(range[1]);
    const last = Number(range[2]);
    if (last - first + 1 !== body.length) return error(res, 400, 'Content-Range does not match the body');
    if (first > upload.size) return error(res, 400, `bytes ${first}- follow a gap: the session holds ${upload.size}`);
    if (total === undefined && body.length % QUANTUM !== 0) return error(res, 400, 'a chunk that is not the last must be a multiple of 256 KiB');
    let fresh = body.subarray(upload.size - first);
    const n = ++stats.chunks;
    if (dropEvery > 0 && n % dropEvery === 0 && ++stats.chunks_lost)
      return error(res, 503, 'this chunk was lost (FAKE_GCS_LOSE_CHUNK)', 'backendError');
    if (keepHalf && total === undefined && n % 2 === 0 && fresh.length >= 2 * QUANTUM) {
      fresh = fresh.subarray(0, Math.floor(fresh.length / 2 / QUANTUM) * QUANTUM);
      ++stats.halves_kept;
    }
    uploadService.continueResumableUpload(upload.id, fresh);
    if (loseEvery > 0 && n % loseEvery === 0 && ++stats.answers_lost) return error(res, 503, 'the answer to this chunk was lost (FAKE_GCS_LOSE_ANSWER)', 'backendError');
    if (total !== undefined && upload.size === total) return finish(res, upload);
    return incomplete(res, upload);
  });
  return router;
};

// s3rver.js: the tests' S3 peer, the s3rver fork that checks SigV4
// signatures (@20minutes/s3rver), with one change to how it writes to disk.
//
// s3rver writes an object's metadata (._S3rver_metadata.json, .md5) with
// fs.writeFile in place. Killed during that write, it leaves a torn JSON file,
// and every later request for that key answers 500 InternalError: a state a
// real store never shows (S3 has an object or none), in which an archiver
// retries that segment for ever after the peer is back (the likeliest cause
// of one CI failure of test_s3_acceptance; not reproduced here). Here every
// file s3rver writes through fs.promises.writeFile goes to a temporary name
// first and is renamed into place, so a kill leaves the old file or the new
// one. The object's content still streams to its final name, as in s3rver; a
// content file cut short by a kill is what wal-e's damaged-object check
// replaces.
//
// usage: node --openssl-legacy-provider s3rver.js PORT DIRECTORY BUCKET
const path = require('path');
const fs = require('fs');

const writeFile = fs.promises.writeFile;
let serial = 0;
fs.promises.writeFile = async function writeFileAtomically(file, data, options) {
  if (typeof file !== 'string') return writeFile(file, data, options);
  const temporary = `${file}.tmp-${process.pid}-${++serial}`;
  try {
    await writeFile(temporary, data, options);
    await fs.promises.rename(temporary, file);
  } catch (err) {
    await fs.promises.rm(temporary, { force: true });
    throw err;
  }
};

const S3rver = require(path.join(__dirname, 'node_modules', '@20minutes', 's3rver'));
const [port, directory, bucket] = process.argv.slice(2);
new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
}).run();

// fake_gcs_auth.js: Cloud Storage's check of the bearer token on every
// request, which the Firebase emulator does not make (it takes any token or
// none). A hand-written stand-in: a request to the storage API passes only
// with a token that fake_gcs_token_endpoint.py issued, that has not
// expired and that the test has not revoked; others get Google's 401.
//   TOKEN_DIR/issued    "KIND TOKEN EXPIRES_AT [EMAIL]" lines (the token endpoint writes them)
//   TOKEN_DIR/revoked   tokens the test revoked, one a line
//   GET /_fake/auth     {"refused": N}: requests refused so far
const fs = require('fs');
const path = require('path');

module.exports = function fakeAuth(tokenDir) {
  let refused = 0;
  const read = (name) => {
    try {
      return fs.readFileSync(path.join(tokenDir, name), 'utf8').split('\n').filter(Boolean);
    } catch (e) {
      return [];
    }
  };
  return (req, res, next) => {
    if (req.path === '/_fake/auth') return res.json({ refused });
    if (!/^\/(storage|upload|download)\//.test(req.path)) return next();
    const presented = /^Bearer (\S+)$/.exec(req.header('authorization') || '');
    const now = Date.now() / 1000;
    const valid = presented && !read('revoked').includes(presented[1]) &&
      read('issued').some((line) => {
        const [, token, expires] = line.split(' ');
        return token === presented[1] && Number(expires) > now;
      });
    if (valid) return next();
    ++refused;
    const message = 'Invalid Credentials';
    res.status(401).set('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/"').json({
      error: { code: 401, message, errors: [{ message, domain: 'global', reason: 'authError', locationType: 'header', location: 'Authorization' }] },
    });
  };
};

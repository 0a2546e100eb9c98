// Verify imatter's Open Badges 3.0 credentials with Digital Bazaar's libraries, offline.
//
//   node verify.mjs --contexts DIR --public DIR --base-url URL [--now ISO] FILE...
//
// --contexts  the folder of JSON-LD contexts shipped in the Python package (index.json there
//             maps each context URL to its file)
// --public    the workspace's public/credentials folder (issuer.json, status/...)
// --base-url  the URL that folder is published at (e.g. https://imatter.example.org/credentials)
//
// Prints one JSON line per file: {"file", "verified", "revoked", "error"}; exits 0 when every
// credential verifies and none is revoked, 1 otherwise. Nothing is fetched: the document loader
// serves only the shipped contexts and the files under --public.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    contexts: {type: 'string'},
    public: {type: 'string'},
    'base-url': {type: 'string'},
    now: {type: 'string'}
  }
});
if(!values.contexts || !values.public || !values['base-url'] || !positionals.length) {
  console.error('usage: node verify.mjs --contexts DIR --public DIR --base-url URL FILE...');
  process.exit(2);
}

const readJson = path => JSON.parse(readFileSync(path, 'utf8'));
const index = readJson(join(values.contexts, 'index.json'));
const contexts = new Map(Object.entries(index.contexts).map(
  ([url, entry]) => [url, readJson(join(values.contexts, entry.file))]));
const baseUrl = values['base-url'].replace(/\/$/, '');

function publicDocument(url) {
  const [path] = url.split('#');
  if(!path.startsWith(baseUrl + '/')) {
    return null;
  }
  const relative = path.slice(baseUrl.length + 1);
  if(relative.split('/').includes('..')) {
    return null;
  }
  try {
    return readJson(join(values.public, relative));
  } catch{
    return null;
  }
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  const document = publicDocument(url);
  if(document && url.includes('#')) {
    // a verification method inside the issuer's key document
    const method = (document.verificationMethod || []).find(vm => vm.id === url);
    if(method) {
      return {
        contextUrl: null,
        documentUrl: url,
        document: {'@context': MULTIKEY_V1, ...method}
      };
    }
  } else if(document) {
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`offline document loader: refusing to fetch ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const now = values.now ? new Date(values.now) : new Date();

let revokedSeen = false;
async function checkStatusAndBit(options) {
  const result = await checkStatus({...options, verifyBitstringStatusListCredential: true});
  if(result.verified) {
    for(const {status} of result.results) {
      if(status) {
        revokedSeen = true;
      }
    }
  }
  return result;
}

let allGood = true;
for(const file of positionals) {
  revokedSeen = false;
  let line;
  try {
    const credential = readJson(file);
    const result = await vc.verifyCredential({
      credential, suite, documentLoader, checkStatus: checkStatusAndBit, now
    });
    const statusError = result.statusResult && result.statusResult.error;
    const cause = result.error || statusError;
    const error = cause ? String(cause.message || cause) : null;
    const errors = cause && cause.errors ?
      cause.errors.map(e => String(e.message || e)) : [];
    line = {
      file, verified: result.verified, revoked: revokedSeen,
      error: errors.length ? errors.join('; ') : error
    };
  } catch(e) {
    line = {file, verified: false, revoked: false, error: String(e.message || e)};
  }
  if(!line.verified || line.revoked) {
    allGood = false;
  }
  console.log(JSON.stringify(line));
}
process.exit(allGood ? 0 : 1);

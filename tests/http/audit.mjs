// GraphQL-over-HTTP conformance audit of a running server, with graphql-http's own audit suite.
//
//   node tests/http/audit.mjs http://127.0.0.1:8000/graphql
//
// Prints every audit that is not ok with its level (MUST, SHOULD, MAY) and reason, then a
// summary; exits 1 when a MUST failed (or an audit could not run), 2 on bad usage.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs GRAPHQL_URL');
  process.exit(2);
}

const levels = ['MUST', 'SHOULD', 'MAY'];
const counts = Object.fromEntries(levels.map((level) => [level, { ok: 0, failed: 0 }]));
let mustFailed = 0;

for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const level = audit.name.split(' ', 1)[0];
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // graphql-http throws only for fatal problems (e.g. the server is unreachable).
    result = { status: 'error', reason: `audit threw: ${error?.stack ?? error}` };
  }
  if (result.status === 'ok') {
    counts[level].ok += 1;
    continue;
  }
  counts[level].failed += 1;
  if (level === 'MUST') mustFailed += 1;
  let body = '';
  if (result.response) {
    try {
      body = (await result.response.text()).slice(0, 300);
    } catch {
      body = '(body already read)';
    }
  }
  console.log(`[${level}] ${result.status.toUpperCase()} ${audit.id} ${audit.name}`);
  console.log(`    reason: ${result.reason}`);
  if (result.response) {
    const type = result.response.headers.get('content-type');
    console.log(`    response: ${result.response.status} ${type ?? '(no content-type)'} ${body}`);
  }
}

const summary = levels
  .map((level) => `${level} ${counts[level].ok} ok / ${counts[level].failed} failed`)
  .join(', ');
console.log(`graphql-http audit of ${url}: ${summary}`);
process.exit(mustFailed > 0 ? 1 : 0);

// A bundle with a 100,000-entry data document: load time (JSON text → values → compiled policy) and the heap
// before and after, then 10,000 evaluations that look entries up, to show the document is not copied per
// query (the heap after evaluating stays where loading left it).
//
//   node --expose-gc --import tsx bench/rego/memory.ts [--entries N]
import { compilePolicy, parseJSON } from '../../src/rego/index.ts';

const args = process.argv.slice(2);
const ei = args.indexOf('--entries');
const N = ei >= 0 ? Number(args[ei + 1]) : 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc so the heap figures are after a collection\n');
  process.exit(2);
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
function heap(): number {
  gc!();
  return process.memoryUsage().heapUsed;
}

const POLICY = `package authz
default allow := false
allow if {
  user := data.users[input.user]
  some role in user.roles
  some grant in data.roles[role]
  grant.action == input.action
  glob.match(grant.resource, ["/"], input.resource)
}
`;

/** The bundle's data.json text (built in a function so nothing but the text outlives it). */
function dataText(): string {
  const users: Record<string, unknown> = {};
  for (let i = 0; i < N; i++)
    users[`u${i}`] = { name: `User ${i}`, roles: [`role-${i % 100}`], team: `team-${i % 1000}` };
  const roles: Record<string, unknown> = {};
  for (let r = 0; r < 100; r++) roles[`role-${r}`] = [{ action: 'read', resource: `/projects/p${r}/*` }];
  return JSON.stringify({ users, roles });
}

const base = heap();
let text: string | null = dataText();
const textBytes = text.length;
const t0 = performance.now();
const data = parseJSON(text);
const pq = compilePolicy({ modules: [{ file: 'authz.rego', text: POLICY }], data }).prepare('data.authz.allow');
const loadMs = performance.now() - t0;
text = null; // the JSON text is not needed once parsed
const loaded = heap();

let allowed = 0;
const t1 = performance.now();
const EVALS = 10_000;
for (let i = 0; i < EVALS; i++) {
  const u = (i * 7919) % N;
  const r = pq.eval({
    input: parseJSON(JSON.stringify({ user: `u${u}`, action: 'read', resource: `/projects/p${u % 100}/doc` })),
  });
  if (r[0]?.expressions[0]?.value === true) allowed++;
}
const evalMs = performance.now() - t1;
const after = heap();
// one more evaluation after measuring keeps the policy (and its data) alive through the measurement
if (
  pq.eval({ input: parseJSON('{"user": "u1", "action": "read", "resource": "/projects/p1/x"}') })[0]?.expressions[0]
    ?.value === true
)
  allowed++;

process.stdout.write(
  `data document: ${N.toLocaleString('en')} users (${mb(textBytes)} of JSON)\n` +
    `load (parse + compile + prepare): ${loadMs.toFixed(0)} ms\n` +
    `heap: ${mb(base)} before, ${mb(loaded)} with the policy and its data loaded (+${mb(loaded - base)}), ` +
    `${mb(after)} after ${EVALS.toLocaleString('en')} evaluations (${after - loaded >= 0 ? '+' : ''}${mb(after - loaded)})\n` +
    `evaluations: ${allowed - 1}/${EVALS} allowed, ${((evalMs * 1000) / EVALS).toFixed(1)} µs each (input parse included)\n`,
);
if (allowed !== EVALS + 1) {
  process.stderr.write('expected every lookup to be allowed\n');
  process.exitCode = 1;
}

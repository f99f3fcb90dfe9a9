// Runs Jsonnet's own test suite (google/jsonnet test_suite/, fetched outside the repo) through Sekisho's
// Jsonnet evaluator, the way its run_tests.sh does: `error.*` cases must fail, the others must produce the
// `.golden` output (or `true` when there is none), compared as JSON values; ext vars var1=test and
// var2={x:1,y:2} (top-level arguments for `tla.*` cases). Prints per-case failures and the real counts.
//   node --import tsx test/conformance/jsonnet-suite.ts [test_suite dir] [--verbose]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Evaluator, fileImporter, JsonnetError, stackGuard, toJs } from '../../src/policy/parsers/jsonnet/index.ts';
import { JFunc, Thunk } from '../../src/policy/parsers/jsonnet/value.ts';

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(args.find((a) => !a.startsWith('--')) ?? join(here, '../../../corpora/jsonnet/test_suite'));
if (!existsSync(dir)) {
  console.error(`no test suite at ${dir}: fetch google/jsonnet and pass its test_suite folder`);
  process.exit(2);
}

const read = (p: string) => {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
};

// cases name files relative to the suite folder, as run_tests.sh does from there
process.chdir(dir);
// std.trace writes to stderr; the goldens hold it before the value
let traced = '';
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array) => {
  traced += String(chunk);
  return true;
}) as typeof process.stderr.write;

let passed = 0;
const failed: string[] = [];
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonnet'))
  .sort();
for (const name of cases) {
  const file = name;
  traced = '';
  const expectError = name.startsWith('error.');
  const goldenText = read(`${file}.golden`)?.toString('utf8');
  const tla = name.startsWith('tla.');
  let outcome: { ok: true; value: unknown } | { ok: false; message: string };
  try {
    const ev = new Evaluator({
      importer: fileImporter(read),
      extVars: tla ? {} : { var1: { str: 'test' }, var2: { code: '{x:1,y:2}' } },
    });
    let v = ev.evaluateFile(readFileSync(file, 'utf8'), file);
    if (tla && v instanceof JFunc) {
      const named = new Map([
        ['var1', Thunk.of('test')],
        ['var2', new Thunk(() => ev.evaluateFile('{x:1,y:2}', '<tla:var2>'))],
      ]);
      v = ev.apply(v, {
        positional: [],
        named: new Map([...named].filter(([k]) => v instanceof JFunc && v.params.some((p) => p.name === k))),
      });
    }
    const value = v;
    outcome = { ok: true, value: stackGuard(() => toJs(value), 'runtime', name) };
  } catch (e) {
    if (!(e instanceof JsonnetError)) {
      outcome = { ok: false, message: `CRASH ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}` };
    } else outcome = { ok: false, message: e.format() };
  }
  let good = true;
  let why = '';
  const goldenIsError = goldenText !== undefined && /^(RUNTIME|STATIC) ERROR/.test(goldenText);
  if (expectError || goldenIsError) {
    good = !outcome.ok && !outcome.message.startsWith('CRASH');
    why = outcome.ok ? `expected an error, got ${JSON.stringify(outcome.value).slice(0, 200)}` : outcome.message;
  } else if (!outcome.ok) {
    good = false;
    why = outcome.message;
  } else {
    let expected: unknown;
    let text = goldenText;
    if (text !== undefined && traced) {
      good = text.startsWith(traced);
      text = text.slice(traced.length);
    }
    try {
      expected = text === undefined ? true : JSON.parse(text);
    } catch {
      expected = goldenText?.replace(/\n$/, '');
    }
    good = good && JSON.stringify(canon(outcome.value)) === JSON.stringify(canon(expected));
    why = `got ${JSON.stringify(outcome.value).slice(0, 300)}\n    expected ${JSON.stringify(expected).slice(0, 300)}`;
  }
  if (good) passed++;
  else {
    failed.push(name);
    if (verbose) console.log(`FAIL ${name}\n    ${why.split('\n').slice(0, 4).join('\n    ')}`);
  }
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

process.stderr.write = stderrWrite;
if (!verbose && failed.length) console.log(`failing: ${failed.join(' ')}`);
console.log(`${basename(dir)}: ${passed}/${cases.length} cases pass, ${failed.length} fail`);
process.exitCode = failed.length ? 1 : 0;

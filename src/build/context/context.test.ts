import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { cleanPath, globMatch, openContext, PatternMatcher, readIgnoreFile } from './index.ts';

test('patternmatcher: **, prefixes, suffixes, character classes and escapes as moby/patternmatcher', () => {
  const cases: Array<[string, string, boolean]> = [
    ['**', 'dir/file', true],
    ['dir/**', 'dir/dir2/file', true],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/file*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a[b-d]e', 'ace', true],
    ['a[^b-d]e', 'ace', false],
    ['.*', '.foo', true],
    ['abc.def', 'abcZdef', false],
    ['abc?def', 'abcZdef', true],
    ['abc/**', 'abc', false],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['docs', 'docs/deep/file.md', true],
    ['a\\*b', 'a*b', true],
  ];
  for (const [pat, text, want] of cases)
    assert.equal(new PatternMatcher([pat]).matches(text), want, `${pat} vs ${text}`);
});

test('patternmatcher: later ! patterns re-include, later patterns exclude again', () => {
  assert.equal(new PatternMatcher(['**', '!util/docker/web']).matches('util/docker/web/foo'), false);
  assert.equal(
    new PatternMatcher(['**', '!util/docker/web', 'util/docker/web/foo']).matches('util/docker/web/foo'),
    true,
  );
  assert.equal(new PatternMatcher(['*.md', '!README.md']).matches('README.md'), false);
  assert.equal(new PatternMatcher(['*.md', '!README.md']).matches('CHANGES.md'), true);
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern/);
  assert.throws(() => new PatternMatcher(['a[']), /syntax error in pattern/);
});

test('readIgnoreFile: comments, blank lines, leading slash, cleaning, spaces around !', () => {
  assert.deepEqual(readIgnoreFile('\ufeff# c\n\n /abs/x \n! keep/../keep.txt\n./a//b/\n'), [
    'abs/x',
    '!keep.txt',
    'a/b',
  ]);
  assert.equal(cleanPath('a/../../b'), '../b');
  assert.equal(globMatch('*.txt', 'a.txt'), true);
  assert.equal(globMatch('*.txt', 'd/a.txt'), false);
});

async function fixture(): Promise<{ dir: string; outside: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), 'sekisho-ctx-'));
  const dir = join(base, 'ctx');
  const outside = join(base, 'outside');
  await mkdir(join(dir, 'src/sub'), { recursive: true });
  await mkdir(join(dir, 'node_modules/pkg'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'top secret\n');
  await writeFile(join(dir, 'src/a.txt'), 'a\n');
  await writeFile(join(dir, 'src/b.txt'), 'b\n');
  await writeFile(join(dir, 'src/sub/c.md'), 'c\n');
  await writeFile(join(dir, 'node_modules/pkg/index.js'), 'x\n');
  await writeFile(join(dir, 'node_modules/pkg/keep.js'), 'keep\n');
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
  await writeFile(join(dir, '.dockerignore'), 'node_modules\n!node_modules/pkg/keep.js\n**/*.md\nDockerfile\n');
  await symlink('src/a.txt', join(dir, 'link-in'));
  await symlink(join(outside, 'secret'), join(dir, 'link-abs-out'));
  await symlink('../outside', join(dir, 'link-dir-out'));
  await symlink('/src', join(dir, 'link-abs-in'));
  return { dir, outside, cleanup: () => rm(base, { recursive: true, force: true }) };
}

test('context: .dockerignore applies to COPY sources, with re-included files inside ignored dirs', async () => {
  const f = await fixture();
  try {
    const ctx = await openContext(f.dir);
    assert.equal(ctx.isIgnored('node_modules/pkg/index.js'), true);
    assert.equal(ctx.isIgnored('node_modules/pkg/keep.js'), false);
    assert.equal(ctx.isIgnored('Dockerfile'), true, 'the Dockerfile obeys .dockerignore for COPY, as in docker');
    const all = await ctx.walk(['.']);
    const rels = all.map((e) => e.rel);
    assert.ok(rels.includes('src/a.txt'));
    assert.ok(rels.includes('node_modules/pkg/keep.js'));
    assert.ok(rels.includes('node_modules/pkg'), 'the parent of a re-included file comes along');
    assert.ok(!rels.includes('node_modules/pkg/index.js'));
    assert.ok(!rels.includes('src/sub/c.md'));
    assert.ok(!rels.includes('Dockerfile'));
    const links = all.filter((e) => e.type === 'symlink').map((e) => [e.rel, e.linkTarget]);
    assert.ok(
      links.some(([r, t]) => r === 'link-abs-out' && t?.endsWith('outside/secret')),
      'symlinks inside a copied dir are kept as links',
    );
    await assert.rejects(
      ctx.walk(['Dockerfile']),
      (e: unknown) => e instanceof BuildError && e.code === 'CONTEXT_MISSING',
    );
  } finally {
    await f.cleanup();
  }
});

test('context: wildcards, --exclude, the `under` path and a missing source', async () => {
  const f = await fixture();
  try {
    const ctx = await openContext(f.dir, { dockerignore: '' });
    const txt = await ctx.walk(['src/*.txt']);
    assert.deepEqual(
      txt.map((e) => [e.rel, e.under]),
      [
        ['src/a.txt', ''],
        ['src/b.txt', ''],
      ],
    );
    const dir = await ctx.walk(['src'], { exclude: ['**/*.md', 'src/b.txt'] });
    assert.deepEqual(
      dir.map((e) => [e.rel, e.under, e.type]),
      [
        ['src', '', 'dir'],
        ['src/a.txt', 'a.txt', 'file'],
        ['src/sub', 'sub', 'dir'],
      ],
    );
    await assert.rejects(ctx.walk(['nope/*.js']), /not found/);
  } finally {
    await f.cleanup();
  }
});

test('context: a source symlink is followed inside the context and refused when it leads outside', async () => {
  const f = await fixture();
  try {
    const ctx = await openContext(f.dir, { dockerignore: '' });
    const inside = await ctx.walk(['link-in']);
    assert.equal(inside[0]?.type, 'file');
    assert.equal(inside[0]?.path, join(f.dir, 'src/a.txt'));
    for (const src of ['link-abs-out', 'link-dir-out/secret', '../outside/secret', 'src/../../outside/secret']) {
      await assert.rejects(
        ctx.walk([src]),
        (e: unknown) => e instanceof BuildError && e.code === 'CONTEXT_UNSAFE',
        src,
      );
    }
    await assert.rejects(ctx.resolve('link-abs-out'), /points outside the build context/);
  } finally {
    await f.cleanup();
  }
});

test('context: hashFiles changes with content and mode, not with mtime', async () => {
  const f = await fixture();
  try {
    const ctx = await openContext(f.dir, { dockerignore: '' });
    const h1 = await ctx.hashFiles(['src']);
    assert.match(h1, /^sha256:[0-9a-f]{64}$/);
    await writeFile(join(f.dir, 'src/a.txt'), 'a\n');
    assert.equal(await ctx.hashFiles(['src']), h1, 'rewriting the same bytes keeps the key');
    await writeFile(join(f.dir, 'src/a.txt'), 'changed\n');
    const h2 = await ctx.hashFiles(['src']);
    assert.notEqual(h2, h1);
    await chmod(join(f.dir, 'src/a.txt'), 0o755);
    assert.notEqual(await ctx.hashFiles(['src']), h2);
  } finally {
    await f.cleanup();
  }
});

test('context: a missing directory is CONTEXT_MISSING', async () => {
  await assert.rejects(
    openContext('/nonexistent/sekisho/ctx'),
    (e: unknown) => e instanceof BuildError && e.code === 'CONTEXT_MISSING',
  );
});

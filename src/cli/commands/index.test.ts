import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { groups, registerCommands } from './index.ts';

test('each command group registers exactly the verbs it declares', async () => {
  for (const g of groups) {
    const program = new Command();
    (await g.load()).register(program);
    assert.deepEqual(program.commands.map((c) => c.name()).sort(), [...g.verbs].sort());
  }
});

test('a known verb loads only its group; help loads every group', async () => {
  const one = new Command();
  await registerCommands(one, ['rego', 'eval', 'x']);
  assert.deepEqual(
    one.commands.map((c) => c.name()),
    ['rego'],
  );
  const all = new Command();
  await registerCommands(all, ['--help']);
  assert.equal(
    all.commands.length,
    groups.reduce((n, g) => n + g.verbs.length, 0),
  );
});

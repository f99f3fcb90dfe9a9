// Runs the RegistryStorage contract against every backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryStorageContract } from './registry-storage.contract.ts';
import { openFsStorage } from './fs-storage.ts';

registryStorageContract('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-storage-'));
  return { storage: await openFsStorage(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// A platform runner in a process of its own, for the restart test: it takes one push of the repo given
// (two commits of main, in order) and prints `queued` once both are queued; the test then SIGKILLs it.
import { KubeClient } from '../../src/kube/index.ts';
import { PipelineTrigger } from '../../src/pipeline/index.ts';
import { services } from './helpers.ts';

const [dataDir, kubeconfig, repo, first, second] = process.argv.slice(2) as [string, string, string, string, string];
const kube = await KubeClient.fromKubeconfig({ path: kubeconfig });
const t = new PipelineTrigger({ dataDir, kube, services: () => services() });
await t.start();
const zero = '0'.repeat(40);
t.push({ repo, trigger: 'push', updates: [{ ref: 'refs/heads/main', old: zero, new: first }] });
t.push({ repo, trigger: 'push', updates: [{ ref: 'refs/heads/main', old: first, new: second }] });
process.stdout.write('queued\n');

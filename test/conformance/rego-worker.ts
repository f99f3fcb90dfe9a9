// Worker thread for the conformance runner: runs one case at a time in-process and reports the verdict.
// The runner terminates the worker when a case exceeds its time limit, so a hang cannot stall the run.
import { parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { judge, parseCaseFile, runCaseInProcess, type RegoCase } from './rego-cases.ts';

export interface WorkerTask {
  id: number;
  file: string;
  folder: string;
  index: number;
  regoVersion: 0 | 1;
}

export interface WorkerReply {
  id: number;
  pass: boolean;
  reason: string;
  ms: number;
}

const files = new Map<string, RegoCase[]>();

function caseAt(task: WorkerTask): RegoCase {
  let cases = files.get(task.file);
  if (cases === undefined) {
    cases = parseCaseFile(task.file, readFileSync(task.file, 'utf8'), task.folder);
    files.set(task.file, cases);
  }
  const c = cases[task.index];
  if (c === undefined) throw new Error(`${task.file}: no case #${task.index}`);
  return c;
}

parentPort?.on('message', (task: WorkerTask) => {
  const start = performance.now();
  let reply: WorkerReply;
  try {
    const c = caseAt(task);
    const verdict = judge(c, runCaseInProcess(c, { regoVersion: task.regoVersion }));
    reply = { id: task.id, pass: verdict.pass, reason: verdict.reason, ms: performance.now() - start };
  } catch (err) {
    reply = {
      id: task.id,
      pass: false,
      reason: `runner error: ${String((err as Error)?.stack ?? err)}`,
      ms: performance.now() - start,
    };
  }
  parentPort?.postMessage(reply);
});

// Supply-chain steps: `push` (copy an image between layouts and registries), `sign` (cosign-format
// signature) and `attest` (in-toto statement in a DSSE envelope under the .att tag).
import { readFileSync } from 'node:fs';
import { copyImage, parseReference, formatReference } from '../../oci/index.ts';
import { attestImage, loadPrivateKey, PREDICATE_TYPE_SHORTHANDS, signImage, type Signer } from '../../sign/index.ts';
import { PipelineError } from '../errors.ts';
import type { StepContext, StepResult } from '../types.ts';
import { imageTarget, openImage } from './image.ts';
import { Inputs } from './inputs.ts';

function signer(ctx: StepContext, i: Inputs): Signer {
  const key = i.str('key');
  let pem: string;
  if (key.includes('-----BEGIN')) pem = key;
  else {
    try {
      pem = readFileSync(i.path('key'), 'utf8');
    } catch (e) {
      throw new PipelineError('pipeline_io_error', `step ${ctx.step.id}: read key ${key}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  ctx.mask(pem);
  const password = i.optStr('password') ?? '';
  if (password) ctx.mask(password);
  return loadPrivateKey(pem, Buffer.from(password), ctx.step.id + ' key');
}

/** `push`: inputs from (oci:DIR[:TAG|@DIGEST] or a reference), to (a reference), referrers, insecure. */
export async function pushStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const insecure = i.has('insecure') ? { insecure: i.bool('insecure', false) } : {};
  const src = await openImage(i.str('from'), ctx.services, ctx.workspace, insecure);
  const toText = i.str('to');
  const dst = await openImage(toText, ctx.services, ctx.workspace, { ...insecure, create: true });
  const tag = dst.ref.startsWith('sha256:') ? undefined : dst.ref;
  const r = await copyImage(src.store, src.ref, dst.store, tag, { referrers: i.bool('referrers', false) });
  const repo = toText.startsWith('oci:')
    ? 'oci:' + toText.slice(4).replace(/(@sha256:[0-9a-f]+|:[^/:]*)$/, '')
    : formatReference({ ...parseReference(toText), tag: undefined, digest: undefined });
  ctx.log(
    `pushed ${src.display} -> ${dst.display} ${r.digest} (${r.blobs.uploaded} uploaded, ${r.blobs.mounted} mounted, ${r.blobs.existing} present)`,
  );
  return {
    summary: `${dst.display}@${r.digest}`,
    outputs: { digest: r.digest, image: `${repo}@${r.digest}`, ...(tag ? { tag } : {}) },
  };
}

/** `sign`: inputs image, key (PEM text from a secret, or a file), password, annotations, insecure. */
export async function signStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const s = signer(ctx, i);
  const image = i.str('image');
  const t = imageTarget(image, ctx.services, i.has('insecure') ? i.bool('insecure', false) : undefined);
  const annotations = i.map('annotations');
  const r = await signImage(t, s, Object.keys(annotations).length ? { annotations } : {});
  ctx.log(
    `signed ${image} (${r.digest}) -> ${t.repository}:${r.signatureTag}${r.appended ? '' : ' (already signed with this key)'}`,
  );
  return {
    summary: `${r.digest} signed (${r.count} signature${r.count === 1 ? '' : 's'})`,
    outputs: { digest: r.digest, 'signature-tag': r.signatureTag, signatures: String(r.count) },
  };
}

/** `attest`: inputs image, key, password, predicate (a JSON file), type (cosign shorthand or URI). */
export async function attestStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const s = signer(ctx, i);
  const image = i.str('image');
  const type = i.str('type', 'custom');
  const predicateType = PREDICATE_TYPE_SHORTHANDS[type] ?? type;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(predicateType))
    throw new PipelineError(
      'pipeline_invalid',
      `attest: type ${type} is neither a known shorthand (${Object.keys(PREDICATE_TYPE_SHORTHANDS).join(', ')}) nor a URI`,
    );
  let predicate: unknown;
  try {
    predicate = JSON.parse(readFileSync(i.path('predicate'), 'utf8'));
  } catch (e) {
    throw new PipelineError('pipeline_io_error', `attest: predicate ${i.str('predicate')}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const t = imageTarget(image, ctx.services, i.has('insecure') ? i.bool('insecure', false) : undefined);
  const r = await attestImage(t, s, predicateType, predicate);
  ctx.log(`attested ${image} (${r.digest}) with ${predicateType} -> ${t.repository}:${r.tag}`);
  return {
    summary: `${predicateType} attestation`,
    outputs: { digest: r.digest, tag: r.tag, 'predicate-type': predicateType },
  };
}

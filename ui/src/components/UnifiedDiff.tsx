// A unified diff as the server sends it (what-if per object, config-repo files), in the same markup as the
// application diff: one line per span, +/− marks for sighted users and words for screen readers.
import { useMemo } from 'react';
import { parseUnified } from '../text-diff.ts';

export function UnifiedDiff({ text, label }: { text: string; label: string }) {
  const lines = useMemo(() => parseUnified(text.replace(/\n$/, '')), [text]);
  if (!text.trim()) return <p className="muted small">No changes.</p>;
  return (
    <pre className="diff-text" tabIndex={0} aria-label={label}>
      {lines.map((l, i) => (
        <span key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx'}>
          <span className="op" aria-hidden="true">
            {l.op}
          </span>
          <span className="sr-only">{l.op === '+' ? 'added: ' : l.op === '-' ? 'removed: ' : ''}</span>
          {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

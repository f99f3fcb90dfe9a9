import { Link } from 'wouter';
import { useDocumentTitle } from '../hooks.ts';

export function NotFoundView() {
  useDocumentTitle('Not found');
  return (
    <section aria-labelledby="nf-title">
      <h1 id="nf-title">Page not found</h1>
      <div className="state empty">
        <p>There is no view at this address.</p>
        <p>
          <Link href="/applications">Go to the applications</Link>
        </p>
      </div>
    </section>
  );
}

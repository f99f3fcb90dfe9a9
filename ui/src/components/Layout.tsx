// The frame of every logged-in view: skip link, banner with the product name and the user menu, the main
// navigation, and the main landmark.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useLiveStatus } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { useTheme } from '../theme.ts';

/** A checkpoint gate (a torii-like frame): the product's mark, drawn so no font is needed. */
export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d="M2 5h20v3H2zM5 8h2.5v13H5zM16.5 8H19v13h-2.5zM4 11.5h16V14H4z" fill="currentColor" />
    </svg>
  );
}

const NAV: { href: string; label: string }[] = [
  { href: '/applications', label: 'Applications' },
  { href: '/policies', label: 'Policies' },
  { href: '/images', label: 'Images' },
  { href: '/pipelines', label: 'Pipelines' },
  { href: '/changes', label: 'Change requests' },
];

function UserMenu() {
  const { session, logout } = useSession();
  const [open, setOpen] = useState(false);
  const { theme, toggle } = useTheme();
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const [, navigate] = useLocation();
  useEffect(() => {
    if (!open) return;
    const first = ref.current?.querySelector<HTMLElement>('[role="menuitem"]');
    first?.focus();
    const onDoc = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [open]);
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKey = (e: React.KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    }
  };
  return (
    <div className="user-menu" ref={ref} onKeyDown={onKey}>
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="user-menu-list"
        onClick={() => setOpen((o) => !o)}
      >
        {session?.user} <span className="muted">({session?.role})</span>
      </button>
      {open && (
        <div id="user-menu-list" role="menu" aria-label="User menu">
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              close();
              navigate('/tokens');
            }}
          >
            API tokens
          </button>
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              toggle();
            }}
          >
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              setOpen(false);
              void logout();
            }}
          >
            Log out
          </button>
        </div>
      )}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const [location] = useLocation();
  const live = useLiveStatus();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // move focus to the new view's content on navigation, so keyboard and screen-reader users land on it
  const section = location.split('/').slice(0, 2).join('/');
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [section]);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="banner" role="banner">
        <Link href="/applications" className="brand">
          <Logo /> Sekisho
        </Link>
        <span className={`live live-${live}`} role="status" title="live updates from the server">
          <span aria-hidden="true">●</span> {live === 'live' ? 'Live' : live === 'down' ? 'Offline' : 'Connecting'}
        </span>
        <UserMenu />
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.map((n) => {
            const active = location === n.href || location.startsWith(`${n.href}/`);
            return (
              <li key={n.href}>
                <Link href={n.href} aria-current={active ? 'page' : undefined} className={active ? 'active' : ''}>
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

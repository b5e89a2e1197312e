import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, createApiClient } from './api-client.js';
import { KeysPage } from './pages/keys.js';
import { LogDetailPage, LogsPage } from './pages/logs.js';
import { OverviewPage } from './pages/overview.js';
import { PoliciesPage } from './pages/policies.js';
import { ProvidersPage } from './pages/providers.js';
import { readToken, type Session, SessionContext, storeToken } from './session.js';

interface Route {
  page: 'overview' | 'keys' | 'policies' | 'logs' | 'log' | 'providers';
  id?: string;
  query: URLSearchParams;
}

const NAV: { page: Route['page']; label: string; href: string }[] = [
  { page: 'overview', label: 'Overview', href: '#/' },
  { page: 'keys', label: 'Virtual keys', href: '#/keys' },
  { page: 'policies', label: 'Fallback policies', href: '#/policies' },
  { page: 'logs', label: 'Logs', href: '#/logs' },
  { page: 'providers', label: 'Providers & pricing', href: '#/providers' },
];

/** Hash routes (`#/logs/<id>?...`): the server serves one page, and filters survive a reload. */
export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const query = new URLSearchParams(search);
  switch (parts[0]) {
    case 'keys':
      return { page: 'keys', query };
    case 'policies':
      return { page: 'policies', query };
    case 'logs':
      return parts[1] ? { page: 'log', id: decodeURIComponent(parts[1]), query } : { page: 'logs', query };
    case 'providers':
      return { page: 'providers', query };
    default:
      return { page: 'overview', query };
  }
}

function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseRoute(hash);
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Enter the admin token');
      return;
    }
    setBusy(true);
    setError(null);
    // Checked against a real API route, so a typo is reported here rather than on the first page.
    const probe = createApiClient({ token: () => value, onUnauthorized: () => undefined });
    try {
      await probe.listKeys();
      onSignedIn(value);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token was not accepted. Check ADMIN_TOKEN.' : err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} noValidate>
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true" />
          LLM gateway
        </div>
        <h1>Sign in to the admin dashboard</h1>
        {notice ? <p class="notice">{notice}</p> : null}
        <div class={`field${error ? ' field-invalid' : ''}`}>
          <label for="admin-token">Admin token</label>
          <input
            id="admin-token"
            name="admin-token"
            type="password"
            autocomplete="current-password"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby="admin-token-help"
            autofocus
          />
          {error ? (
            <p class="field-error" role="alert" id="admin-token-help">
              {error}
            </p>
          ) : (
            <p class="field-hint" id="admin-token-help">
              The <code>ADMIN_TOKEN</code> printed by <code>npm start</code> (or the one you set). It stays in this tab only.
            </p>
          )}
        </div>
        <button class="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function Shell({ route, onSignOut }: { route: Route; onSignOut: () => void }) {
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [route.page, route.id]);
  const active = route.page === 'log' ? 'logs' : route.page;
  return (
    <div class="layout">
      <aside class={`sidebar${menuOpen ? ' open' : ''}`}>
        <div class="sidebar-top">
          <a class="brand" href="#/">
            <span class="brand-mark" aria-hidden="true" />
            LLM gateway
          </a>
          <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
            Menu
          </button>
        </div>
        <nav id="main-nav" aria-label="Main">
          {NAV.map((item) => (
            <a key={item.page} href={item.href} class={active === item.page ? 'active' : undefined} aria-current={active === item.page ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
          <button type="button" class="signout" onClick={onSignOut}>
            Sign out
          </button>
        </nav>
      </aside>
      <main class="content" id="content">
        {route.page === 'overview' ? <OverviewPage /> : null}
        {route.page === 'keys' ? <KeysPage /> : null}
        {route.page === 'policies' ? <PoliciesPage /> : null}
        {route.page === 'logs' ? <LogsPage query={route.query} /> : null}
        {route.page === 'log' && route.id ? <LogDetailPage id={route.id} /> : null}
        {route.page === 'providers' ? <ProvidersPage /> : null}
      </main>
    </div>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(() => readToken());
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();

  const session = useMemo<Session | null>(() => {
    if (!token) return null;
    const signOut = (reason?: string) => {
      storeToken(null);
      setNotice(reason ?? null);
      setToken(null);
    };
    const api = createApiClient({ token: () => token, onUnauthorized: () => signOut('Your session ended: the admin token was not accepted. Sign in again.') });
    return { api, signOut };
  }, [token]);

  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          storeToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell route={route} onSignOut={() => session.signOut()} />
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}

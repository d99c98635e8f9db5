// The console's shell: login by token, the page layout (skip link, navigation, the token's name and scopes, log
// out) and the hash routes. After login, GET /v1/whoami says who the token is and what it may do; the pages offer
// only that.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, tokenStore, whenUnauthorized, type Whoami } from './api';
import { parseRoute, type Route } from './router';
import { ErrorBox, Loading } from './ui';
import { Overview } from './pages/overview';
import { Agent } from './pages/agent';
import { Deliveries } from './pages/deliveries';
import { History } from './pages/history';
import { Incident, Incidents } from './pages/incidents';
import { Rules } from './pages/rules';

const NAV: Array<{ href: string; label: string; pages: Route['page'][] }> = [
  { href: '#/', label: 'Overview', pages: ['overview', 'agent'] },
  { href: '#/incidents', label: 'Incidents', pages: ['incidents', 'incident'] },
  { href: '#/history', label: 'History', pages: ['history'] },
  { href: '#/rules', label: 'Silences & windows', pages: ['rules'] },
  { href: '#/deliveries', label: 'Deliveries', pages: ['deliveries'] },
];

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  incidents: 'Incidents',
  incident: 'Incident',
  agent: 'Agent',
  history: 'History',
  rules: 'Silences, maintenance windows and expectations',
  deliveries: 'Dead letters',
  unknown: 'Not found',
};

type Session = { status: 'checking' } | { status: 'out'; why: ApiError | null } | { status: 'in'; who: Whoami };

function useHashRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

export function App() {
  const [session, setSession] = useState<Session>(() => (tokenStore.get() ? { status: 'checking' } : { status: 'out', why: null }));
  useEffect(() => {
    whenUnauthorized((e) => {
      tokenStore.clear();
      setSession({ status: 'out', why: e });
    });
    if (session.status === 'checking') {
      call<Whoami>('GET', '/v1/whoami').then(
        (who) => setSession({ status: 'in', who }),
        (e: unknown) => {
          tokenStore.clear();
          setSession({ status: 'out', why: e instanceof ApiError ? e : null });
        },
      );
    }
  }, []);
  if (session.status === 'checking') return <main id="main"><Loading what="your session" /></main>;
  if (session.status === 'out') return <Login why={session.why} onIn={(who) => setSession({ status: 'in', who })} />;
  return <Shell who={session.who} onOut={() => {
    tokenStore.clear();
    setSession({ status: 'out', why: null });
  }} />;
}

function Login({ why, onIn }: { why: ApiError | null; onIn: (who: Whoami) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(why);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Log in · cwp-task-bridge';
    input.current?.focus();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError(new ApiError(0, 'missing_token', 'Paste a token first'));
      return;
    }
    setBusy(true);
    try {
      const who = await call<Whoami>('GET', '/v1/whoami', { token: t });
      tokenStore.set(t);
      onIn(who);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'unexpected', String(err)));
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>cwp-task-bridge console</h1>
      <form onSubmit={submit} class="stack" aria-describedby="login-help">
        <label for="token">API token</label>
        <input id="token" ref={input} type="password" autocomplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} />
        <p id="login-help" class="muted small">One of the function's API_TOKENS. It stays in this tab only (sessionStorage) and is sent as a bearer token to this function, nowhere else.</p>
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Log in'}</button>
      </form>
      {error ? (error.status === 401 ? (
        <div class="error" role="alert"><p><strong>That token was refused: {error.message}.</strong></p><p>Paste a token from API_TOKENS and log in again.</p></div>
      ) : error.code === 'missing_token' ? <p class="error" role="alert">{error.message}.</p> : <ErrorBox error={error} what="Could not log in" />) : null}
    </main>
  );
}

function Shell({ who, onOut }: { who: Whoami; onOut: () => void }) {
  const route = useHashRoute();
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const title = TITLES[route.page];
  useEffect(() => {
    document.title = `${title} · cwp-task-bridge`;
    // A new view: move focus to its heading, so keyboard and screen-reader users start there.
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [route.page, route.id]);
  const go = (hash: string) => {
    location.hash = hash;
  };
  return (
    <>
      <button type="button" class="skip" onClick={() => heading.current?.focus()}>Skip to content</button>
      <header class="top">
        <a class="brand" href="#/">cwp-task-bridge</a>
        <nav aria-label="Pages">
          <ul>
            {NAV.map((n) => <li key={n.href}><a href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>{n.label}</a></li>)}
          </ul>
        </nav>
        <div class="who">
          <span>Token <strong>{who.name}</strong> <span class="muted">({who.scopes.join(', ')})</span></span>
          <button type="button" onClick={onOut}>Log out</button>
        </div>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>{title}</h1>
        {page(route, who, go)}
      </main>
    </>
  );
}

function page(route: Route, who: Whoami, go: (hash: string) => void) {
  switch (route.page) {
    case 'overview': return <Overview who={who} />;
    case 'incidents': return <Incidents who={who} query={route.query} go={go} />;
    case 'incident': return <Incident key={route.id} id={route.id!} who={who} />;
    case 'agent': return <Agent key={route.id} uuid={route.id!} who={who} />;
    case 'history': return <History query={route.query} go={go} />;
    case 'rules': return <Rules who={who} />;
    case 'deliveries': return <Deliveries who={who} />;
    case 'unknown': return <p>There is no such page. <a href="#/">Go to the overview</a>.</p>;
  }
}

import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError, signIn } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

// Only a path on this site: `next` must not send the user elsewhere after signing in.
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/jobs';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  useEffect(() => {
    document.title = 'Sign in · Switchboard';
  }, []);

  const login = useMutation({
    mutationFn: () => signIn(username.trim(), password),
    onSuccess: () => {
      // Nothing cached for a previous user may show to this one.
      queryClient.clear();
      void navigate(safeNext(params.get('next')), { replace: true });
    },
    onError: () => setPassword(''),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  const wrongCredentials = login.error instanceof ApiError && login.error.code === 'INVALID_CREDENTIALS';

  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-login">
          <span className="brand-mark" aria-hidden="true">
            SB
          </span>
          Switchboard
        </div>
        <h1 id="login-title">Sign in</h1>
        {params.get('expired') && !login.error && (
          <p className="notice notice-info" role="status">
            Your session has ended. Sign in again to continue.
          </p>
        )}
        {params.get('signedOut') && !login.error && (
          <p className="notice notice-info" role="status">
            You have signed out.
          </p>
        )}
        {login.error && <ErrorNotice error={login.error} title={wrongCredentials ? 'Sign-in failed' : 'Could not sign in'} />}
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input id="login-username" name="username" autoComplete="username" autoFocus required value={username} onChange={(event) => setUsername(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </div>
        <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="login-foot">
          Automating? Use an API token — see the <a href="/api/docs">API documentation</a>.
        </p>
      </form>
    </main>
  );
}

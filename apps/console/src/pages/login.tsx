import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api/client.js';

/** Sign in: username and password, then a TOTP code when the account has one (`mfa_required`). */
export function LoginPage({ notice }: { notice: string | undefined }): ReactNode {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const totpRef = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Harbour console';
  }, []);
  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.login(username.trim(), password, needTotp ? totp.trim() : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'mfa_required') {
        setNeedTotp(true);
      } else if (err instanceof ApiError && err.code === 'account_locked') {
        setError('This account is locked for a while after repeated failed attempts. Try again later.');
      } else if (err instanceof ApiError && err.status === 0) {
        setError(err.message);
      } else if (err instanceof ApiError && err.unavailable) {
        setError('Sign-in is not available on this station yet.');
      } else {
        setError(needTotp ? 'The username, password or code is not right.' : 'The username or password is not right.');
        if (needTotp) setTotp('');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <div className="login-card">
        <p className="brand brand-large">
          Harbour <span>console</span>
        </p>
        <h1>Sign in</h1>
        <p className="lede">For data guardians, auditors, station operators and research partners.</p>
        {notice ? (
          <div className="callout callout-info" role="status">
            <p>{notice}</p>
          </div>
        ) : null}
        {error ? (
          <div className="callout callout-error" role="alert" tabIndex={-1} ref={errorRef}>
            <p>{error}</p>
          </div>
        ) : null}
        <form onSubmit={(e) => void submit(e)} noValidate={false}>
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              readOnly={needTotp}
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              readOnly={needTotp}
            />
          </div>
          {needTotp ? (
            <div className="field">
              <label htmlFor="totp">Authenticator code</label>
              <p id="totp-hint" className="hint">
                Your account uses two-step sign-in. Enter the 6-digit code from your authenticator app.
              </p>
              <input
                id="totp"
                ref={totpRef}
                name="totp"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required
                aria-describedby="totp-hint"
                value={totp}
                onChange={(e) => setTotp(e.target.value)}
              />
            </div>
          ) : null}
          <div className="button-row">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Signing in…' : needTotp ? 'Verify code' : 'Sign in'}
            </button>
            {needTotp ? (
              <button
                type="button"
                onClick={() => {
                  setNeedTotp(false);
                  setTotp('');
                  setPassword('');
                }}
              >
                Start again
              </button>
            ) : null}
          </div>
        </form>
      </div>
    </main>
  );
}

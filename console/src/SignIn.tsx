import { useState } from "preact/hooks";
import { API_BASE } from "./api/client";
import { NewPasswordRequired, SignInError, setNewPassword, signIn } from "./api/auth";

/** Username and password against the user pool (Cognito InitiateAuth); a temporary password's new one. */
export function SignIn() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [fresh, setFresh] = useState("");
  const [challenge, setChallenge] = useState<NewPasswordRequired | null>(null);
  const [error, setError] = useState<SignInError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (challenge) await setNewPassword(API_BASE, challenge, fresh);
      else await signIn(API_BASE, username.trim(), password);
    } catch (failed) {
      if (failed instanceof NewPasswordRequired) setChallenge(failed);
      else setError(failed instanceof SignInError ? failed : new SignInError(String(failed)));
    } finally {
      setBusy(false);
    }
  };
  const problem = (field: SignInError["field"]) =>
    error && error.field === field ? (
      <span id={`signin-${field}-error`} class="field-error">
        {error.message}
      </span>
    ) : null;
  return (
    <main id="main" class="signin">
      <h1>Sign in to Tidemark</h1>
      <form onSubmit={submit} aria-label="Sign in" noValidate>
        <div class="field">
          <label for="signin-username">User name</label>
          <input
            id="signin-username"
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            aria-invalid={error?.field === "username" || undefined}
            aria-describedby={error?.field === "username" ? "signin-username-error" : undefined}
            disabled={!!challenge}
          />
          {problem("username")}
        </div>
        <div class="field">
          <label for="signin-password">Password</label>
          <input
            id="signin-password"
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={error?.field === "password" || undefined}
            aria-describedby={error?.field === "password" ? "signin-password-error" : undefined}
            disabled={!!challenge}
          />
          {problem("password")}
        </div>
        {challenge && (
          <div class="field">
            <label for="signin-new-password">New password</label>
            <input
              id="signin-new-password"
              name="new_password"
              type="password"
              autocomplete="new-password"
              value={fresh}
              onInput={(e) => setFresh(e.currentTarget.value)}
              aria-describedby="signin-new-password-hint"
            />
            <small id="signin-new-password-hint" class="hint">
              {challenge.message}
            </small>
            {problem("new_password")}
          </div>
        )}
        {error && error.field === "" && (
          <p class="problem" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" class="primary" aria-busy={busy}>
          {challenge ? "Set password and sign in" : "Sign in"}
        </button>
      </form>
      <p class="hint">
        Local mode: <code>tidemark local up</code> prints a user and its password for each role (operator, viewer).
      </p>
    </main>
  );
}

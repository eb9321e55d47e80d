// Sign-in against the console's Cognito user pool, as `tidemark login` does: InitiateAuth with
// USER_PASSWORD_AUTH gives the tokens, REFRESH_TOKEN_AUTH new ones before the access token expires.
// The tokens live in this tab's sessionStorage only (gone when the tab closes); no AWS credentials.

export interface AuthConfig {
  region: string;
  user_pool_id: string;
  client_id: string;
  cognito_url: string;
}

export interface Session {
  username: string;
  role: "operator" | "viewer" | "none";
  accessToken: string;
  refreshToken: string;
  expiresAt: number; // ms since the epoch
}

export class SignInError extends Error {
  constructor(
    message: string,
    readonly field: "username" | "password" | "new_password" | "" = "",
  ) {
    super(message);
  }
}

/** A temporary password: Cognito wants a new one before it gives tokens. */
export class NewPasswordRequired extends Error {
  constructor(
    readonly username: string,
    readonly session: string,
  ) {
    super("your password is temporary: choose a new one");
  }
}

const KEY = "tidemark.session";
let current: Session | null = load();
const listeners = new Set<(s: Session | null) => void>();
let config: AuthConfig | null = null;

function load(): Session | null {
  try {
    const stored = sessionStorage.getItem(KEY);
    return stored ? (JSON.parse(stored) as Session) : null;
  } catch {
    return null;
  }
}

function store(session: Session | null): void {
  current = session;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(session));
}

export function session(): Session | null {
  return current;
}

export function onSession(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function signOut(): void {
  store(null);
}

async function authConfig(base: string): Promise<AuthConfig> {
  if (!config) {
    const answer = await fetch(`${base}/v1/auth/config`);
    if (!answer.ok) throw new SignInError(`the API did not say how to sign in (${answer.status})`);
    config = (await answer.json()) as AuthConfig;
  }
  return config;
}

interface CognitoAnswer {
  AuthenticationResult?: { AccessToken: string; RefreshToken?: string; ExpiresIn: number };
  ChallengeName?: string;
  Session?: string;
  __type?: string;
  message?: string;
}

async function cognito(base: string, target: string, body: object): Promise<CognitoAnswer> {
  const { cognito_url } = await authConfig(base);
  const answer = await fetch(cognito_url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
    },
    body: JSON.stringify(body),
  });
  const result = (await answer.json().catch(() => ({}))) as CognitoAnswer;
  if (!answer.ok) {
    const kind = (result.__type ?? "").split("#").pop() ?? "";
    const message = result.message ?? `sign-in failed (${answer.status})`;
    const field = kind === "NotAuthorizedException" ? "password" : kind === "InvalidPasswordException" ? "new_password" : "";
    throw new SignInError(message, field);
  }
  return result;
}

function claims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as Record<string, unknown>;
}

function sessionOf(result: CognitoAnswer, refreshToken?: string): Session {
  const tokens = result.AuthenticationResult;
  if (!tokens) throw new SignInError(`Cognito asks for ${result.ChallengeName ?? "a step this page does not know"}`);
  const seen = claims(tokens.AccessToken);
  const groups = (seen["cognito:groups"] as string[] | undefined) ?? [];
  return {
    username: String(seen["username"] ?? seen["cognito:username"] ?? ""),
    role: groups.includes("operator") ? "operator" : groups.includes("viewer") ? "viewer" : "none",
    accessToken: tokens.AccessToken,
    refreshToken: tokens.RefreshToken ?? refreshToken ?? "",
    expiresAt: Date.now() + tokens.ExpiresIn * 1000,
  };
}

export async function signIn(base: string, username: string, password: string): Promise<Session> {
  if (!username) throw new SignInError("give your user name", "username");
  if (!password) throw new SignInError("give your password", "password");
  const { client_id } = await authConfig(base);
  const result = await cognito(base, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: client_id,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (result.ChallengeName === "NEW_PASSWORD_REQUIRED") throw new NewPasswordRequired(username, result.Session ?? "");
  const signedIn = sessionOf(result);
  store(signedIn);
  return signedIn;
}

export async function setNewPassword(base: string, challenge: NewPasswordRequired, password: string): Promise<Session> {
  if (!password) throw new SignInError("choose a new password", "new_password");
  const { client_id } = await authConfig(base);
  const result = await cognito(base, "RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: client_id,
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: password },
  });
  const signedIn = sessionOf(result);
  store(signedIn);
  return signedIn;
}

let refreshing: Promise<Session | null> | null = null;

/** New tokens from the refresh token; null (signed out) when Cognito refuses it. */
export function refresh(base: string): Promise<Session | null> {
  const was = current;
  if (!was) return Promise.resolve(null);
  refreshing ??= (async () => {
    try {
      const { client_id } = await authConfig(base);
      const result = await cognito(base, "InitiateAuth", {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: client_id,
        AuthParameters: { REFRESH_TOKEN: was.refreshToken },
      });
      const renewed = sessionOf(result, was.refreshToken);
      store(renewed);
      return renewed;
    } catch {
      store(null);
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** The access token to send: refreshed first when it expires within a minute. */
export async function accessToken(base: string): Promise<string | null> {
  if (!current) return null;
  if (current.expiresAt - Date.now() < 60_000) return (await refresh(base))?.accessToken ?? null;
  return current.accessToken;
}

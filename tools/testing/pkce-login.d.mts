export interface UserLoginOptions {
  issuer: string;
  /** Default `portal` (the public PKCE client). */
  clientId?: string;
  redirectUri: string;
  username: string;
  password: string;
  /** Audiences wanted; the first comes with the code, each other by one refresh-token grant. */
  resources: string[];
  /** Default `openid profile offline_access` plus read and write on each resource. */
  scope?: string;
}

export interface UserLogin {
  accessTokens: Record<string, string>;
  refreshToken: string;
  idToken?: string;
  subject?: string;
  /** RP-initiated logout in the same browser session (confirms on the auth server's page). */
  signOut(): Promise<void>;
}

export function loginUser(options: UserLoginOptions): Promise<UserLogin>;

/** Who is calling, as established by the auth guard. */
export type Principal =
  /** The workers' token, or everyone while auth is off (then `defaultClientId` is `local`). */
  | { readonly kind: 'admin'; readonly defaultClientId?: string }
  | { readonly kind: 'client'; readonly clientId: string };

/** Request augmentation: the guard stores the principal here. */
export interface AuthenticatedRequest {
  principal?: Principal;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Tokens live in sessionStorage: they survive a reload of the tab but not closing it, and are never shared between
 * tabs or written to disk by the page. The labeler and admin views keep separate tokens.
 */
export type View = 'labeler' | 'admin';

const key = (view: View) => `hone.token.${view}`;

export function loadToken(view: View): string | null {
  try {
    return sessionStorage.getItem(key(view));
  } catch {
    return null;
  }
}

export function saveToken(view: View, token: string): void {
  try {
    sessionStorage.setItem(key(view), token);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
}

export function clearToken(view: View): void {
  try {
    sessionStorage.removeItem(key(view));
  } catch {
    // nothing stored
  }
}

/** API tokens look like `hone_` + 43 base64url characters (lib/auth). */
export const TOKEN_SHAPE = /^hone_[A-Za-z0-9_-]{43}$/;

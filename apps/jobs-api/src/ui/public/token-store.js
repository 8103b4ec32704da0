// The bearer token the user typed, kept for this tab only (sessionStorage): closing the tab forgets it.

const KEY = 'jobs-api.token';

/** @returns {string | null} */
export function readToken() {
  return sessionStorage.getItem(KEY);
}

/** @param {string} token */
export function saveToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

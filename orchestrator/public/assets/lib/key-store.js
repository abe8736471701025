/**
 * The operator's API key, kept for this tab only (sessionStorage). Only the
 * api module's keyed calls read it; views ask `hasKey()` to decide what to show.
 */

const STORAGE_KEY = 'scenarioforge.apiKey';
const listeners = new Set();

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the key lives only as long as the page
  }
}

let memoryKey = null;

export function getKey() {
  return storage()?.getItem(STORAGE_KEY) ?? memoryKey;
}

export function hasKey() {
  return Boolean(getKey());
}

export function setKey(key) {
  const value = String(key ?? '').trim();
  if (!value) return clearKey();
  memoryKey = value;
  storage()?.setItem(STORAGE_KEY, value);
  for (const fn of listeners) fn(true);
}

export function clearKey() {
  memoryKey = null;
  storage()?.removeItem(STORAGE_KEY);
  for (const fn of listeners) fn(false);
}

/** Calls `fn(hasKey)` whenever the key is set or cleared. Returns an unsubscribe function. */
export function onKeyChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

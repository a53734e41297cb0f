// The console: sign-in, the header, and a router over the location's hash:
//   #/recording[?q&status&range]   #/recording/<sku>
//   #/push[?filters]               #/push/<store>/<store sku>
//   #/stock[/<sku>][?as_of=<ms>]

import { api, ApiError, token } from './api.js';
import { errorBox, replace } from './dom.js';
import { pushPage, listingPage } from './push.js';
import { recordingPage, recordingDetail } from './recording.js';
import { stockPage } from './stock.js';

const $ = (id) => document.getElementById(id);
const main = $('main');

const routes = [
  [/^\/recording\/(.+)$/, recordingDetail, 'recording'],
  [/^\/recording$/, recordingPage, 'recording'],
  [/^\/push\/([^/]+)\/(.+)$/, listingPage, 'push'],
  [/^\/push$/, pushPage, 'push'],
  [/^\/stock(?:\/(.+))?$/, stockPage, 'stock'],
];

let session = null;
let leave = null; // the current page's clean-up (stops its polling)
let toastTimer = null;

export function notify(text, kind = 'ok') {
  const box = $('toast');
  box.textContent = text;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

function parseHash() {
  const raw = window.location.hash.replace(/^#/, '') || '/recording';
  const [path, query] = raw.split('?');
  return { path, query: new URLSearchParams(query || '') };
}

// Changes the hash's query (a page's filters) without a new history entry per keystroke.
// `silent`: only the address changes (a search box keeps its focus); otherwise the page is
// drawn anew for its new filters.
export function setQuery(path, values, { silent = false } = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== null && value !== undefined && value !== '') query.set(name, value);
  }
  const text = query.toString();
  const hash = `#${path}${text ? `?${text}` : ''}`;
  if (hash === window.location.hash) return;
  if (silent) window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
}

function route() {
  if (!session) return;
  if (leave) leave();
  leave = null;
  const { path, query } = parseHash();
  for (const [pattern, page, name] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll('#nav a')) {
      link.classList.toggle('active', link.dataset.page === name);
    }
    const args = match.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    main.replaceChildren();
    try {
      leave = page(main, { session, query, args, notify, setQuery }) || null;
    } catch (error) {
      replace(main, errorBox(error));
    }
    return;
  }
  window.location.hash = '#/recording';
}

function showLogin(message) {
  session = null;
  if (leave) leave();
  leave = null;
  main.replaceChildren();
  for (const id of ['nav', 'who', 'sign-out', 'live']) $(id).hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function start() {
  try {
    session = await api('/session');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      const refused = token.get();
      token.clear();
      showLogin(refused ? 'That token is not valid here.' : null);
      return;
    }
    replace(main, errorBox(`The worker does not answer: ${error.message}`));
    return;
  }
  $('login').hidden = true;
  $('nav').hidden = false;
  const who = $('who');
  who.hidden = false;
  who.textContent = session.can_change ? 'operator' : 'viewer · read only';
  who.dataset.role = session.role;
  $('sign-out').hidden = !token.get();
  document.body.dataset.role = session.role;
  route();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  token.set(value);
  $('token').value = '';
  start();
});

$('sign-out').addEventListener('click', () => {
  token.clear();
  showLogin(null);
});

window.addEventListener('stocksync:unauthorized', () => {
  if (session) showLogin('The worker no longer takes this token: sign in again.');
});
window.addEventListener('hashchange', route);
start();

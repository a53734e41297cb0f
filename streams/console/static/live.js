// Live pages: each page's refresh runs every few seconds while the tab is visible, and the
// header says when the page last caught up (or that it could not).

export const POLL_MS = 2000;

const indicator = () => document.getElementById('live');

function show(ok, detail) {
  const box = indicator();
  if (!box) return;
  box.hidden = false;
  box.classList.toggle('stale', !ok);
  const clock = new Date().toLocaleTimeString(undefined, { hour12: false });
  document.getElementById('live-text').textContent = ok ? `live · ${clock}` : `offline · ${detail}`;
}

// Calls `refresh` every `ms` until the returned function is called; never two at once.
export function every(refresh, ms = POLL_MS) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await refresh();
        if (!stopped) show(true);
      } catch (error) {
        if (!stopped) show(false, error.message || String(error));
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function caughtUp() {
  show(true);
}

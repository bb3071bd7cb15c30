// Live views without reloads. One event stream (/ui/live) says when the server's state changed;
// then the page is fetched again and every element marked data-live is swapped for its fresh copy
// (by id), except a region the user is typing in, which waits for the next change.
// A build log (pre[data-log-src]) streams its own lines.
(() => {
  "use strict";
  const status = document.getElementById("live-status");
  const say = (text, state) => { if (status) { status.textContent = text; status.dataset.state = state; } };
  let fetching = false, again = false;

  async function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const response = await fetch(location.href, { headers: { "X-Live-Refresh": "1" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) { say("signed out?", "down"); return; }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of document.querySelectorAll("[data-live][id]")) {
        if (region.contains(document.activeElement) && document.activeElement !== document.body) { again = true; continue; }
        const next = fresh.getElementById(region.id);
        if (next) region.replaceWith(next);
      }
    } catch { say("reconnecting", "down"); }
    finally {
      fetching = false;
      if (again) { again = false; setTimeout(refresh, 1000); }
    }
  }

  if (document.querySelector("[data-live]")) {
    const events = new EventSource("/ui/live");
    events.addEventListener("hello", () => say("live", "up"));
    events.addEventListener("changed", () => { say("live", "up"); refresh(); });
    events.onerror = () => say("reconnecting", "down");
  }

  for (const log of document.querySelectorAll("pre[data-log-src]")) {
    const lines = new EventSource(log.dataset.logSrc);
    lines.onmessage = (e) => {
      const follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(e.data + "\n");
      if (follow) log.scrollTop = log.scrollHeight;
    };
    lines.addEventListener("end", (e) => { log.dataset.state = e.data; lines.close(); refresh(); });
  }
})();

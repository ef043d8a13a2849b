// Navio's pages: a client of the public API (/api/v1), as the apps are. The signed-in
// traveler's tokens live in this tab's sessionStorage; every text shown is set as text, never
// parsed as HTML.

const API = "/api/v1";
const ACCESS = "navio.access";
const REFRESH = "navio.refresh";
const NAME = "navio.name";
const USER = "navio.user";
const PERMISSIONS = "navio.permissions";
const SIGNED_OUT = "signed_out"; // the page is on its way to the sign-in page

// A problem+json answer as one sentence: its detail, and each invalid field with its reason.
function explain(status, problem) {
  if (!problem) return `request failed (${status})`;
  const fields = (problem.errors || []).map((e) => `${e.field.replaceAll("_", " ")}: ${e.message}`);
  return fields.length ? fields.join("; ") : problem.detail || problem.title;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(explain(status, problem));
    this.status = status;
    this.code = problem ? problem.code : undefined;
    this.problem = problem || {};
  }
}

const store = window.sessionStorage;
const signedIn = () => store.getItem(ACCESS) !== null;

function keepTokens(pair) {
  store.setItem(ACCESS, pair.access_token);
  store.setItem(REFRESH, pair.refresh_token);
}

function forget() {
  for (const key of [ACCESS, REFRESH, NAME, USER, PERMISSIONS]) store.removeItem(key);
}

function toLogin() {
  const here = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(here)}`);
}

let refreshing = null;

async function refresh() {
  // one refresh for every request that found its token expired (refresh tokens rotate)
  refreshing ??= (async () => {
    const token = store.getItem(REFRESH);
    if (!token) return false;
    const response = await fetch(`${API}/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (!response.ok) return false;
    keepTokens(await response.json());
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function api(path, { method = "GET", body, auth = true, retried = false, headers: extra } = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = store.getItem(ACCESS);
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && auth) {
    if (!retried && (await refresh())) {
      return api(path, { method, body, auth, retried: true, headers: extra });
    }
    forget();
    toLogin();
    throw new ApiError(401, { detail: "please sign in again", code: SIGNED_OUT });
  }
  const type = response.headers.get("content-type") || "";
  // 204 No Content has no body to parse, whatever its content type says
  const data = response.status !== 204 && type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (selector) => document.querySelector(selector);

function alertBox(message) {
  const box = $("#alert");
  box.textContent = message || "";
  box.hidden = !message;
}

function failed(error) {
  if (error instanceof ApiError && error.code === SIGNED_OUT) return;
  alertBox(error instanceof Error ? error.message : String(error));
}

function formJson(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// Runs `work` for a form's submit with its button disabled; errors land in the alert box.
function onSubmit(form, work) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alertBox("");
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await work(form);
    } catch (error) {
      failed(error);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  // only a path on this site: never "//other.example" or "https://..."
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")
    ? next
    : "/trips";
}

function requireSignIn() {
  if (signedIn()) return true;
  toLogin();
  return false;
}

// ---- navigation --------------------------------------------------------------------------

let unread = 0; // the header's count, kept in step by the inbox page

function showUnread(count) {
  unread = count;
  const badge = $("#unread");
  badge.textContent = count ? String(count) : "";
  badge.hidden = !count;
  badge.setAttribute("aria-label", `${count} unread`);
}

async function header() {
  // before anything is awaited: a click on "Sign out" must work as soon as it shows
  $("#sign-out").addEventListener("click", async () => {
    const token = store.getItem(REFRESH);
    try {
      await api("/auth/logout", { method: "POST", body: token ? { refresh_token: token } : {} });
    } catch (error) {
      // signed out here whatever the server said: the tokens are dropped below
    }
    forget();
    location.assign("/");
  });
  const inside = signedIn();
  document.querySelectorAll("[data-signed-in]").forEach((n) => (n.hidden = !inside));
  document.querySelectorAll("[data-signed-out]").forEach((n) => (n.hidden = inside));
  const who = $(".who");
  if (inside) {
    const asked = [];
    if (!store.getItem(NAME) || !store.getItem(USER)) {
      asked.push(
        api("/auth/me").then((me) => {
          store.setItem(NAME, me.display_name);
          store.setItem(USER, me.id);
        }),
      );
    }
    if (!store.getItem(PERMISSIONS)) {
      asked.push(
        api("/auth/permissions").then((mine) => store.setItem(PERMISSIONS, JSON.stringify(mine.permissions))),
      );
    }
    await Promise.all(asked.map((request) => request.catch(failed)));
    who.textContent = store.getItem(NAME) || "";
    // what only some roles see (the server decides what they may do; this only tidies the page)
    const held = new Set(JSON.parse(store.getItem(PERMISSIONS) || "[]"));
    document.querySelectorAll("[data-permission]").forEach((n) => {
      n.hidden = !n.dataset.permission.split(" ").some((p) => held.has(p));
    });
    try {
      showUnread((await api("/notifications/unread-count")).unread);
    } catch (error) {
      failed(error);
    }
  }
}

// ---- pages -------------------------------------------------------------------------------

function home() {
  const form = $("#search-form");
  const input = $("#q");
  const results = $("#results");
  const summary = $("#search-summary");

  async function search(q) {
    const data = await api(`/search?q=${encodeURIComponent(q)}&limit=20`, { auth: false });
    results.replaceChildren(
      ...data.items.map((hit) =>
        el(
          "li",
          { class: "result", dataset: { kind: hit.kind } },
          el("strong", {}, hit.name),
          " ",
          el("span", { class: "tag" }, hit.category.replaceAll("_", " ")),
          el(
            "div",
            { class: "muted" },
            [hit.locality, hit.country_code].filter(Boolean).join(", "),
            hit.rating !== null ? ` · rated ${hit.rating.toFixed(1)}` : "",
          ),
        ),
      ),
    );
    const fixed = Object.entries(data.query.corrections || {});
    summary.textContent =
      `${data.total} place${data.total === 1 ? "" : "s"} for “${q}”` +
      (fixed.length ? ` (read as ${fixed.map(([, to]) => to[0]).join(", ")})` : "");
  }

  onSubmit(form, async () => {
    const q = input.value.trim();
    history.replaceState(null, "", `/?q=${encodeURIComponent(q)}`);
    await search(q);
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    search(initial).catch(failed);
  }
}

async function signedInWith(pair) {
  keepTokens(pair);
  location.assign(nextPath());
}

function login() {
  let challenge = null;
  onSubmit($("#login-form"), async (form) => {
    const result = await api("/auth/login", { method: "POST", body: formJson(form), auth: false });
    if (result.mfa_required) {
      challenge = result.mfa_token;
      form.hidden = true;
      $("#mfa-form").hidden = false;
      $("#code").focus();
      return;
    }
    await signedInWith(result);
  });
  onSubmit($("#mfa-form"), async () => {
    const code = $("#code").value.trim();
    const body = /^\d{6}$/.test(code)
      ? { mfa_token: challenge, code }
      : { mfa_token: challenge, recovery_code: code };
    await signedInWith(await api("/auth/login/2fa", { method: "POST", body, auth: false }));
  });
}

function register() {
  onSubmit($("#register-form"), async (form) => {
    const body = formJson(form);
    await api("/auth/register", { method: "POST", body, auth: false });
    const pair = await api("/auth/login", {
      method: "POST",
      body: { email: body.email, password: body.password },
      auth: false,
    });
    await signedInWith(pair);
  });
}

// The one-time token of an e-mailed link, taken out of the address bar so that it is neither
// bookmarked nor left in the history.
function linkToken() {
  const token = new URLSearchParams(location.search).get("token");
  if (token) history.replaceState(null, "", location.pathname);
  return token;
}

function said(message) {
  const done = $("#done");
  done.textContent = message;
  done.hidden = false;
}

function forgotPassword() {
  onSubmit($("#forgot-form"), async (form) => {
    await api("/auth/password/reset/request", { method: "POST", body: formJson(form), auth: false });
    form.hidden = true;
    said("If an account uses this address, a link is on its way: it works for an hour, once.");
  });
}

function resetPassword() {
  const token = linkToken();
  const form = $("#reset-form");
  if (!token) {
    form.hidden = true;
    said("This page opens from the link in the e-mail. Ask for a new one on the sign-in page.");
    return;
  }
  onSubmit(form, async () => {
    const password = $("#new_password").value;
    if (password !== $("#again").value) throw new Error("The two passwords differ.");
    const body = { token, new_password: password };
    await api("/auth/password/reset/confirm", { method: "POST", body, auth: false });
    forget(); // every session ended with the old password
    form.hidden = true;
    said("Your password is changed.");
    $("#done").append(" ", el("a", { href: "/login" }, "Sign in"), ".");
  });
}

async function verifyEmail() {
  const token = linkToken();
  if (!token) {
    said("This page opens from the link in the e-mail.");
    return;
  }
  try {
    await api("/auth/email/verify", { method: "POST", body: { token }, auth: false });
    said("Thank you: your e-mail address is confirmed.");
  } catch (error) {
    said("This link does not work any more: it was used already or has expired.");
    throw error;
  }
}

async function invitation() {
  const here = location.pathname + location.search;
  const token = new URLSearchParams(location.search).get("token");
  if (!token) {
    said("This page opens from the link in the invitation e-mail.");
    return;
  }
  if (!signedIn()) {
    // the token rides along in `next` until the invitee is signed in
    said("You are invited to plan a trip on Navio.");
    $("#to-login").href = `/login?next=${encodeURIComponent(here)}`;
    $("#to-register").href = `/register?next=${encodeURIComponent(here)}`;
    $("#sign-in").hidden = false;
    return;
  }
  history.replaceState(null, "", location.pathname);
  try {
    const trip = await api("/trips/invites/accept", { method: "POST", body: { token } });
    location.assign(`/trips/${trip.id}`);
  } catch (error) {
    said("This invitation does not work any more: it was used already or has expired.");
    throw error;
  }
}

function noticeItem(notice, marked) {
  const when = new Date(notice.created_at).toLocaleString();
  const item = el(
    "li",
    { class: notice.read_at ? "card" : "card unread", dataset: { id: notice.id } },
    el("strong", {}, notice.title),
    el("p", {}, notice.body),
    el("p", { class: "muted" }, when),
  );
  if (notice.data.trip_id) {
    item.append(el("a", { href: `/trips/${notice.data.trip_id}` }, "Open the trip"));
  }
  if (!notice.read_at) {
    const mark = el("button", { type: "button", class: "link" }, "Mark as read");
    mark.addEventListener("click", async () => {
      try {
        await api(`/notifications/${notice.id}/read`, { method: "POST" });
        item.classList.remove("unread");
        mark.remove();
        marked(1);
      } catch (error) {
        failed(error);
      }
    });
    item.append(" ", mark);
  }
  return item;
}

async function notifications() {
  if (!requireSignIn()) return;
  const list = $("#notice-list");
  const more = $("#more");
  const marked = (count) => showUnread(Math.max(0, unread - count));
  let cursor = null;
  async function load() {
    const query = new URLSearchParams({ limit: "20" });
    if (cursor) query.set("cursor", cursor);
    const page = await api(`/notifications?${query}`);
    list.append(...page.items.map((n) => noticeItem(n, marked)));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    $("#no-notices").hidden = list.children.length > 0;
  }
  more.addEventListener("click", () => load().catch(failed));
  $("#read-all").addEventListener("click", async () => {
    try {
      const done = await api("/notifications/read-all", { method: "POST" });
      list.querySelectorAll(".unread").forEach((item) => {
        item.classList.remove("unread");
        item.querySelector("button")?.remove();
      });
      marked(done.marked);
    } catch (error) {
      failed(error);
    }
  });
  await load();
}

function dateRange(trip) {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
  const at = (iso) => format.format(new Date(`${iso}T00:00:00Z`));
  return `${at(trip.start_date)} – ${at(trip.end_date)}`;
}

// Suggestions of the catalogue (`kind`: city or poi) for a text input with a datalist; returns
// a function that resolves the input's text to a suggestion (the one picked, else the best).
function autocomplete(input, options, kind, noun) {
  const seen = new Map();
  const suggest = (q, limit) =>
    api(`/search/suggest?q=${encodeURIComponent(q)}&kind=${kind}&limit=${limit}`, { auth: false });
  let typed = null;
  input.addEventListener("input", () => {
    clearTimeout(typed);
    const q = input.value.trim();
    if (q.length < 2) return;
    typed = setTimeout(async () => {
      try {
        const found = await suggest(q, 8);
        for (const hit of found.items) seen.set(hit.label, hit);
        options.replaceChildren(...found.items.map((hit) => el("option", { value: hit.label })));
      } catch (error) {
        failed(error);
      }
    }, 150);
  });
  return async () => {
    const text = input.value.trim();
    if (seen.has(text)) return seen.get(text);
    const found = await suggest(text, 1);
    if (!found.items.length) throw new Error(`no ${noun} called “${text}” is known`);
    return found.items[0];
  };
}

async function trips() {
  if (!requireSignIn()) return;
  const list = $("#trip-list");
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  $("#zones").replaceChildren(...zones.map((zone) => el("option", { value: zone })));
  $("#timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";

  const city = autocomplete($("#destination"), $("#destination-options"), "city", "city");

  onSubmit($("#trip-form"), async (form) => {
    const fields = formJson(form);
    const place = await city();
    const made = await api("/trips", {
      method: "POST",
      body: {
        title: fields.title,
        destinations: [
          {
            name: place.name,
            country_code: place.country_code || undefined,
            lat: place.lat,
            lon: place.lon,
          },
        ],
        start_date: fields.start_date,
        end_date: fields.end_date,
        timezone: fields.timezone,
        travelers: Number(fields.travelers),
      },
    });
    location.assign(`/trips/${made.id}`);
  });

  const page = await api("/trips?limit=100");
  list.replaceChildren(
    ...page.items.map((trip) =>
      el(
        "li",
        { class: "card" },
        el("a", { href: `/trips/${trip.id}` }, trip.title),
        el("div", { class: "muted" }, `${dateRange(trip)} · ${trip.my_role}`),
      ),
    ),
  );
  $("#no-trips").hidden = page.items.length > 0;
}

const clock = (iso) => iso.slice(11, 16); // the API gives times in the trip's own zone

// minor-unit digits of a currency, as the API counts them (2 unless the page says otherwise)
const EXPONENTS = JSON.parse(document.body.dataset.exponents || "{}");
const digitsOf = (currency) => EXPONENTS[currency] ?? 2;

function money(minor, currency) {
  const digits = digitsOf(currency);
  return new Intl.NumberFormat(undefined, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(minor / 10 ** digits);
}

// "12.50" in EUR -> 1250; refuses what the currency cannot hold ("12.345" EUR, "1.5" JPY)
function toMinor(text, currency) {
  const digits = digitsOf(currency);
  const match = /^(\d{1,15})(?:[.,](\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`“${text}” is not an amount (write it like 12.50)`);
  const fraction = match[2] || "";
  if (fraction.length > digits) {
    throw new Error(
      digits ? `${currency} amounts have at most ${digits} decimals` : `${currency} amounts have no decimals`,
    );
  }
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

function leg(travel) {
  if (!travel || travel.minutes <= 0) return "";
  const km = travel.metres >= 1000 ? `${(travel.metres / 1000).toFixed(1)} km` : `${travel.metres} m`;
  return `${travel.mode} ${Math.round(travel.minutes)} min, ${km}`;
}

function why(terms) {
  return Object.entries(terms)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, value]) => `${name.replaceAll("_", " ")} ${value.toFixed(1)}`)
    .join(" · ");
}

function dayHeading(iso) {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    timeZone: "UTC",
  }).format(new Date(`${iso}T00:00:00Z`));
}

function stopControls(stop, day) {
  if (stop.kind !== "visit") return "";
  const act = (action, label, text, extra = {}) =>
    el("button", { type: "button", class: "link", dataset: { action, stop: stop.id, day }, "aria-label": label, ...extra }, text);
  return el(
    "span",
    { class: "controls" },
    act("up", `Move ${stop.name} earlier`, "↑"),
    act("down", `Move ${stop.name} later`, "↓"),
    act("lock", `${stop.locked ? "Unlock" : "Lock"} ${stop.name}`, stop.locked ? "Unlock" : "Lock", {
      "aria-pressed": stop.locked ? "true" : "false",
    }),
    stop.locked ? "" : act("remove", `Remove ${stop.name}`, "Remove"),
  );
}

function stopItem(stop, day, plan, editor) {
  return el(
    "li",
    { class: `stop ${stop.kind}${stop.locked ? " locked" : ""}`, dataset: { stop: stop.id } },
    editor ? stopControls(stop, day) : "",
    el("span", { class: "time" }, `${clock(stop.start)}–${clock(stop.end)}`),
    " ",
    el("strong", {}, stop.name),
    " ",
    el("span", { class: "tag" }, stop.kind === "visit" ? stop.category.replaceAll("_", " ") : stop.kind),
    stop.locked ? el("span", { class: "tag pinned" }, stop.ordered ? "in your order" : "locked") : "",
    stop.cost_minor > 0 ? el("span", { class: "cost" }, ` ${money(stop.cost_minor, plan.currency)}`) : "",
    el(
      "div",
      { class: "muted" },
      [leg(stop.travel), stop.kind === "visit" ? why(stop.why) : ""].filter(Boolean).join(" — "),
    ),
  );
}

// The trip's money: balances, the fewest transfers that settle them, the expenses, a form to
// add one (shared equally by everyone on the trip).
function journeyItem(journey, names) {
  const who = names.get(journey.traveler_id) || "Someone";
  const to = journey.destination.name;
  let state;
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (journey.status === "arrived") state = `arrived at ${time(journey.arrived_at)}`;
  else if (journey.status === "ended") state = "stopped sharing";
  else if (journey.eta_at) {
    state = `${(journey.remaining_m / 1000).toFixed(1)} km to go, there about ${time(journey.eta_at)}`;
  } else state = "on the way";
  return el("li", { class: "card", dataset: { journey: journey.id } }, `${who} → ${to}: ${state}`);
}

// Journeys on the trip: the latest ones listed and kept current from the trip's live socket;
// the traveler's own way shared from the browser's position while it is active.
async function tripJourneys(trip) {
  const me = store.getItem(USER);
  const names = new Map(trip.collaborators.map((c) => [c.user_id, c.display_name]));
  const list = $("#journey-list");
  const url = `/trips/${trip.id}/journeys`;
  let watching = null;
  let buffer = [];
  let mine = null;

  async function refresh() {
    const page = await api(`${url}?limit=10`);
    list.replaceChildren(...page.items.map((j) => journeyItem(j, names)));
    mine = page.items.find((j) => j.traveler_id === me && j.status === "active") || null;
    if (mine === null) stopWatching();
    $("#journey-form").hidden = mine !== null;
    $("#my-journey").hidden = mine === null;
    if (mine && watching === null) startWatching();
  }

  async function flush() {
    if (!mine || !buffer.length) return;
    const positions = buffer.splice(0, 100);
    try {
      await api(`/journeys/${mine.id}/positions`, { method: "POST", body: { positions } });
    } catch (error) {
      if (error.status === 409) return refresh(); // arrived or ended meanwhile
      throw error;
    }
  }

  function startWatching() {
    if (!navigator.geolocation) return;
    watching = navigator.geolocation.watchPosition(
      (position) => {
        buffer.push({
          lat: position.coords.latitude,
          lon: position.coords.longitude,
          accuracy_m: Math.min(Math.max(position.coords.accuracy || 50, 1), 10000),
          recorded_at: new Date(position.timestamp).toISOString(),
        });
        flush().catch(failed);
      },
      () => alertBox("Your browser did not give your position: nothing is shared."),
      { enableHighAccuracy: true },
    );
  }

  function stopWatching() {
    if (watching !== null) navigator.geolocation.clearWatch(watching);
    watching = null;
    buffer = [];
  }

  const placeOf = autocomplete($("#journey-to"), $("#journey-options"), "poi", "place");
  onSubmit($("#journey-form"), async (form) => {
    const place = await placeOf();
    const destination = { name: place.name || place.label, lat: place.lat, lon: place.lon };
    await api(url, { method: "POST", body: { destination, mode: formJson(form).mode } });
    form.reset();
    await refresh();
  });
  $("#journey-stop").addEventListener("click", async () => {
    try {
      if (mine) await api(`/journeys/${mine.id}/end`, { method: "POST" });
      stopWatching();
      await refresh();
    } catch (error) {
      failed(error);
    }
  });

  // the trip's live socket: any journey event refreshes the list
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const token = encodeURIComponent(store.getItem(ACCESS) || "");
  const socket = new WebSocket(`${scheme}://${location.host}${API}/trips/${trip.id}/live?access_token=${token}`);
  socket.addEventListener("message", (message) => {
    const data = JSON.parse(message.data);
    if (typeof data.event === "string" && data.event.startsWith("tracking.")) refresh().catch(failed);
  });
  $("#journeys").hidden = false;
  await refresh();
}

async function tripMoney(trip) {
  const section = $("#money");
  const me = store.getItem(USER);
  const writer = trip.my_role !== "viewer";
  const form = $("#expense-form");
  form.hidden = !writer;
  $("#currency").value = trip.currency;
  $("#spent_on").value = trip.start_date;

  async function load() {
    const [balances, settle, expenses] = await Promise.all([
      api(`/trips/${trip.id}/balances`),
      api(`/trips/${trip.id}/settle-up`),
      api(`/expenses?trip_id=${trip.id}&limit=100`),
    ]);
    const names = new Map(balances.members.map((m) => [m.user_id, m.display_name]));
    const cur = balances.currency;
    $("#money-summary").textContent =
      `${balances.expenses} expense${balances.expenses === 1 ? "" : "s"}, ` +
      `${money(balances.total_spent_minor, cur)} in all`;
    $("#balances tbody").replaceChildren(
      ...balances.members.map((m) =>
        el(
          "tr",
          { dataset: { member: m.user_id } },
          el("td", {}, m.display_name),
          el("td", {}, money(m.paid_minor, cur)),
          el("td", {}, money(m.share_minor, cur)),
          el("td", {}, money(m.settled_minor, cur)),
          el("td", { class: m.net_minor > 0 ? "owed" : m.net_minor < 0 ? "owes" : "" }, money(m.net_minor, cur)),
        ),
      ),
    );
    $("#settle-up").replaceChildren(
      ...(settle.transfers.length
        ? settle.transfers.map((t) =>
            el(
              "li",
              { class: "transfer" },
              `${t.payer_name} pays ${t.payee_name} ${money(t.amount_minor, settle.currency)} `,
              writer && (t.payer_id === me || t.payee_id === me || trip.my_role === "owner" || trip.my_role === "editor")
                ? el(
                    "button",
                    {
                      type: "button",
                      class: "link",
                      dataset: { payer: t.payer_id, payee: t.payee_id, amount: t.amount_minor },
                    },
                    "Record payment",
                  )
                : "",
            ),
          )
        : [el("li", { class: "muted" }, "All settled.")]),
    );
    $("#payer").replaceChildren(
      ...balances.members.map((m) =>
        el("option", { value: m.user_id, selected: m.user_id === me }, m.display_name),
      ),
    );
    $("#expense-list").replaceChildren(
      ...expenses.items.map((e) =>
        el(
          "li",
          { class: "result expense", dataset: { expense: e.id } },
          el("strong", {}, e.merchant || e.category.replaceAll("_", " ")),
          " ",
          el("span", { class: "tag" }, e.category.replaceAll("_", " ")),
          " ",
          money(e.amount_minor, e.currency),
          e.currency !== e.group_currency ? ` (${money(e.group_amount_minor, e.group_currency)})` : "",
          el("div", { class: "muted" }, `${e.spent_on} · paid by ${names.get(e.payer_id) || "a former member"} · split ${e.split_method}`),
        ),
      ),
    );
  }

  $("#settle-up").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-payer]");
    if (!button) return;
    button.disabled = true;
    alertBox("");
    try {
      await api(`/trips/${trip.id}/settlements`, {
        method: "POST",
        body: {
          payer_id: button.dataset.payer,
          payee_id: button.dataset.payee,
          amount_minor: Number(button.dataset.amount),
        },
      });
      await load();
    } catch (error) {
      button.disabled = false;
      failed(error);
    }
  });

  onSubmit(form, async () => {
    const fields = formJson(form);
    const currency = fields.currency.trim().toUpperCase();
    const body = {
      trip_id: trip.id,
      amount_minor: toMinor(fields.amount, currency),
      currency,
      spent_on: fields.spent_on,
      category: fields.category,
      payer_id: fields.payer,
    };
    if (fields.merchant.trim()) body.merchant = fields.merchant.trim();
    await api("/expenses", { method: "POST", body });
    form.reset();
    $("#currency").value = trip.currency;
    $("#spent_on").value = fields.spent_on;
    await load();
  });

  try {
    await load();
  } catch (error) {
    if (error.status === 403 || error.status === 404) return; // not for this role
    throw error;
  }
  section.hidden = false;
}

async function tripPage() {
  if (!requireSignIn()) return;
  const tripId = location.pathname.split("/")[2];
  const base = `/planner/${tripId}`;
  const status = $("#plan-status");
  let trip;
  try {
    trip = await api(`/trips/${tripId}`);
  } catch (error) {
    if (error.status === 404) {
      $("#trip-title").textContent = "Trip not found";
      $("#trip-meta").textContent = "There is no such trip, or it is not shared with you.";
      return;
    }
    throw error;
  }
  document.title = `${trip.title} · Navio`;
  $("#trip-title").textContent = trip.title;
  $("#trip-meta").textContent = [
    trip.destinations.map((d) => d.name).join(", "),
    dateRange(trip),
    `${trip.travelers} traveler${trip.travelers === 1 ? "" : "s"}`,
  ]
    .filter(Boolean)
    .join(" · ");
  const editor = trip.my_role === "owner" || trip.my_role === "editor";
  $("#planner").hidden = !editor;
  let plan = null;

  function show(shown) {
    plan = shown;
    $("#days").replaceChildren(
      ...plan.days.map((day) =>
        el(
          "section",
          { class: "day", dataset: { day: day.day } },
          el("h3", {}, `Day ${day.day} · ${dayHeading(day.date)}`),
          day.stops.length
            ? el("ol", { class: "stops" }, day.stops.map((stop) => stopItem(stop, day.day, plan, editor)))
            : el("p", { class: "muted" }, "Nothing planned."),
          ...day.notes.map((note) => el("p", { class: "note" }, note)),
          day.return_leg && day.return_leg.minutes > 0
            ? el("p", { class: "muted" }, `Back to base: ${leg(day.return_leg)}`)
            : "",
        ),
      ),
    );
    const days = $("#add-day");
    days.replaceChildren(
      el("option", { value: "" }, "any day"),
      ...plan.days.map((day) => el("option", { value: day.day }, `day ${day.day}`)),
    );
    $("#add-place-form").hidden = !editor; // places are added to a plan
    status.textContent =
      `Plan version ${plan.version}` +
      (plan.total_cost_minor > 0 ? ` · entries ${money(plan.total_cost_minor, plan.currency)}` : "") +
      (plan.checked ? " · every day checked against opening hours and travel times" : "");
  }

  // Every edit names the version it was made on: a plan changed meanwhile by someone else is
  // shown afresh instead of being overwritten.
  async function edit(path, options) {
    try {
      show(await api(path, { ...options, headers: { "If-Match": `"${plan.version}"` } }));
    } catch (error) {
      if (error.status !== 412) throw error;
      show(await api(`${base}/itinerary`));
      throw new Error("Someone else changed this plan meanwhile: here is the latest version.");
    }
  }

  function visits(dayNumber) {
    return plan.days[dayNumber - 1].stops.filter((stop) => stop.kind === "visit");
  }

  // The day's visits as shown: the traveler's ordered ones open it (meals may come between
  // them); "locked" ones stay on the day wherever the planner puts them.
  async function act(action, stopId, dayNumber) {
    if (action === "remove") {
      return edit(`${base}/activity/${encodeURIComponent(stopId)}`, { method: "DELETE" });
    }
    const day = visits(dayNumber);
    const ids = day.map((stop) => stop.id);
    let ordered = day.filter((stop) => stop.ordered).map((stop) => stop.id);
    let pinned = day.filter((stop) => stop.locked && !stop.ordered).map((stop) => stop.id);
    const stop = day.find((s) => s.id === stopId);
    if (action === "lock") {
      if (stop.ordered) ordered = ordered.filter((id) => id !== stopId);
      else if (stop.locked) pinned = pinned.filter((id) => id !== stopId);
      else pinned.push(stopId);
    } else {
      // a move sets the order of the day up to the two visits it swaps
      const at = ids.indexOf(stopId);
      const to = action === "up" ? at - 1 : at + 1;
      if (to < 0 || to >= ids.length) return undefined;
      [ids[at], ids[to]] = [ids[to], ids[at]];
      ordered = ids.slice(0, Math.max(ordered.length, at + 1, to + 1));
      pinned = pinned.filter((id) => !ordered.includes(id));
    }
    return edit(`${base}/day/${dayNumber}`, { method: "PUT", body: { order: ordered, locked: pinned } });
  }

  $("#days").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const controls = document.querySelectorAll("#days [data-action]");
    controls.forEach((b) => (b.disabled = true));
    alertBox("");
    try {
      await act(button.dataset.action, button.dataset.stop, Number(button.dataset.day));
    } catch (error) {
      failed(error);
    } finally {
      document.querySelectorAll("#days [data-action]").forEach((b) => (b.disabled = false));
    }
  });

  const placeInput = $("#add-place");
  const placeOf = autocomplete(placeInput, $("#place-options"), "poi", "place");

  onSubmit($("#add-place-form"), async () => {
    const place = await placeOf();
    const day = $("#add-day").value;
    await edit(`${base}/activity/add`, {
      method: "POST",
      body: day ? { place_id: place.id, day: Number(day) } : { place_id: place.id },
    });
    placeInput.value = "";
  });

  onSubmit($("#plan-form"), async (form) => {
    const fields = formJson(form);
    const interests = fields.interests.split(",").map((s) => s.trim()).filter(Boolean);
    status.textContent = "Planning…";
    const body = {
      mode: fields.mode,
      day_start: `${fields.day_start}:00`.slice(0, 8),
      day_end: `${fields.day_end}:00`.slice(0, 8),
      meals: form.querySelector("#meals").checked,
    };
    if (interests.length) body.interests = interests;
    try {
      show(await api(`${base}/generate`, { method: "POST", body }));
    } catch (error) {
      status.textContent = "";
      throw error;
    }
  });

  try {
    show(await api(`${base}/itinerary`));
  } catch (error) {
    if (error.status !== 404) throw error;
    status.textContent = editor ? "No plan yet: choose what you like and plan your days." : "No plan yet.";
  }
  await tripJourneys(trip);
  await tripMoney(trip);
}

async function preferences() {
  if (!requireSignIn()) return;
  const form = $("#preferences-form");
  const url = `/users/${store.getItem(USER)}/preferences`;
  const multiple = ["interests", "dietary", "mobility"];

  function fill(saved) {
    for (const input of form.querySelectorAll("input[type=checkbox], input[type=radio]")) {
      const value = saved[input.name];
      input.checked = Array.isArray(value) ? value.includes(input.value) : value === input.value;
    }
    for (const name of ["travel_style", "home_currency", "language", "distance_unit"]) {
      form.elements[name].value = saved[name] ?? "";
    }
  }

  onSubmit(form, async () => {
    $("#saved").textContent = "";
    const data = new FormData(form);
    const body = {
      pace: data.get("pace"),
      home_currency: data.get("home_currency").trim().toUpperCase(),
      language: data.get("language").trim(),
      distance_unit: data.get("distance_unit"),
      travel_style: data.get("travel_style") || null,
    };
    for (const name of multiple) body[name] = data.getAll(name);
    fill(await api(url, { method: "PUT", body }));
    $("#saved").textContent = "Saved: new plans use these preferences.";
  });
  fill(await api(url));
}

// ---- marketplace -------------------------------------------------------------------------

function stars(average, count) {
  if (!count) return "no reviews yet";
  return `${average.toFixed(1)} of 5 (${count} review${count === 1 ? "" : "s"})`;
}

function listingCard(listing) {
  return el(
    "li",
    { class: "card", dataset: { id: listing.id } },
    el("a", { href: `/experiences/${listing.id}` }, el("strong", {}, listing.title)),
    " ",
    el("span", { class: "tag" }, listing.kind.replaceAll("_", " ")),
    el(
      "div",
      { class: "muted" },
      `${listing.operator_name} · from ${money(listing.price_minor, listing.currency)} · `,
      stars(listing.rating_average, listing.rating_count),
    ),
  );
}

async function experiences() {
  const list = $("#listing-list");
  const more = $("#more");
  const form = $("#market-form");
  let cursor = null;
  let query = new URLSearchParams(location.search);
  $("#market-q").value = query.get("q") || "";
  $("#market-kind").value = query.get("kind") || "";
  async function load(fresh) {
    const params = new URLSearchParams({ limit: "20" });
    for (const name of ["q", "kind"]) if (query.get(name)) params.set(name, query.get(name));
    if (!fresh && cursor) params.set("cursor", cursor);
    const page = await api(`/marketplace/listings?${params}`, { auth: false });
    const cards = page.items.map(listingCard);
    if (fresh) list.replaceChildren(...cards);
    else list.append(...cards);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    $("#no-listings").hidden = list.children.length > 0;
  }
  onSubmit(form, async () => {
    query = new URLSearchParams();
    for (const [name, value] of Object.entries(formJson(form))) if (value) query.set(name, value);
    history.replaceState(null, "", `/experiences${query.size ? `?${query}` : ""}`);
    await load(true);
  });
  more.addEventListener("click", () => load(false).catch(failed));
  await load(true);
}

function reviewItem(review) {
  const when = new Date(review.created_at).toLocaleDateString();
  return el(
    "li",
    { class: "card" },
    el("strong", {}, `${"★".repeat(review.rating)}${"☆".repeat(5 - review.rating)}`),
    " ",
    review.title || "",
    el("p", {}, review.body),
    el("p", { class: "muted" }, `${review.author_name}, ${when}`),
    review.reply ? el("p", { class: "muted" }, `The operator answered: ${review.reply}`) : null,
  );
}

async function experience() {
  const id = location.pathname.split("/").pop();
  const listing = await api(`/marketplace/listings/${id}`);
  const zone = listing.timezone;
  const when = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone,
  });
  document.title = `${listing.title} · Navio`;
  $("#listing-title").textContent = listing.title;
  $("#listing-facts").textContent =
    `${listing.operator_name} · ${money(listing.price_minor, listing.currency)} a seat · ` +
    `${listing.duration_minutes} minutes · ${stars(listing.rating_average, listing.rating_count)}`;
  $("#listing-description").textContent = listing.description;
  const policy = listing.cancellation;
  $("#listing-terms").textContent =
    `Free cancellation until ${policy.free_until_hours} hours before the start` +
    (policy.late_refund_pct ? `, then ${policy.late_refund_pct} % back.` : ", nothing back after.") +
    ` Times are local to ${zone}.`;

  async function loadDates() {
    const slots = await api(`/marketplace/listings/${id}/availability`, { auth: false });
    const open = slots.filter((s) => !s.closed && s.seats_left > 0);
    $("#slot").replaceChildren(
      ...open.map((s) =>
        el(
          "option",
          { value: s.id },
          `${when.format(new Date(s.starts_at))} · ${money(s.price_minor, s.currency)} · ` +
            `${s.seats_left} seat${s.seats_left === 1 ? "" : "s"} left`,
        ),
      ),
    );
    $("#no-dates").hidden = open.length > 0;
    $("#book-form").hidden = open.length === 0;
  }
  onSubmit($("#book-form"), async (form) => {
    if (!requireSignIn()) return;
    const data = formJson(form);
    const booking = await api("/bookings", {
      method: "POST",
      body: { listing: { slot_id: data.slot_id, seats: Number(data.seats) } },
    });
    $("#booked").textContent =
      `Booked: ${booking.title}, ${when.format(new Date(booking.starts_at))}, ` +
      `${money(booking.amount_minor, booking.currency)} (${booking.status.replaceAll("_", " ")}).`;
    await loadDates();
  });

  async function loadReviews() {
    const page = await api(`/marketplace/listings/${id}/reviews?limit=50`, { auth: false });
    const summary = page.summary;
    $("#review-summary").textContent = stars(summary.rating_average, summary.rating_count);
    $("#review-list").replaceChildren(...page.items.map(reviewItem));
  }
  onSubmit($("#review-form"), async (form) => {
    const data = formJson(form);
    await api(`/marketplace/listings/${id}/reviews`, {
      method: "POST",
      body: { rating: Number(data.rating), body: data.body },
    });
    form.reset();
    await loadReviews();
  });
  await Promise.all([loadDates(), loadReviews()]);
}

// ---- swap stations -----------------------------------------------------------------------

const TICKET = "navio.ticket";

function waitText(minutes) {
  if (minutes === null) return "no charged battery for you yet";
  return minutes ? `about ${minutes} min` : "no wait";
}

// the coming hours at a station, in its own time zone: riders expected and the wait then
async function comingHours(station, list) {
  const outlook = await api(`/stations/${station.id}/forecast?hours=12`, { auth: false });
  const hour = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: outlook.time_zone,
  });
  list.replaceChildren(
    ...outlook.hours.map((h) => {
      const wait = h.wait_minutes_p50 === null ? "no charged battery" : waitText(h.wait_minutes_p50);
      const best = h.starts_at === outlook.best_hour ? " · the best time" : "";
      return el(
        "li",
        {},
        `${hour.format(new Date(h.starts_at))}: ${h.arrivals_expected.toFixed(1)} riders expected · ${wait}${best}`,
      );
    }),
  );
  list.hidden = false;
}

// the operator's swap plans on sale at a station, each with a button to buy it
async function stationPlans(station, list, bought) {
  const plans = await api(`/stations/${station.id}/plans`, { auth: false });
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
  list.replaceChildren(
    ...plans.map((plan) => {
      const buy = el("button", { type: "button" }, "Buy");
      buy.addEventListener("click", async () => {
        try {
          const credit = await api(`/stations/plans/${plan.id}/purchase`, { method: "POST" });
          alertBox(`Bought: ${credit.swaps_left} swaps until ${day.format(new Date(credit.expires_at))}.`);
          await bought();
        } catch (error) {
          failed(error);
        }
      });
      return el(
        "li",
        {},
        `${plan.name}: ${plan.swaps} swaps for ${money(plan.price_minor, plan.currency)}, ${plan.valid_days} days `,
        buy,
      );
    }),
  );
  if (!plans.length) list.replaceChildren(el("li", { class: "muted" }, "No plans on sale here."));
  list.hidden = false;
}

function stationItem(pick, join, bought) {
  const station = pick.station;
  const queue = el("button", { type: "button" }, "Queue here");
  queue.addEventListener("click", () => join(station).catch(failed));
  const hours = el("ol", { class: "hours", hidden: true });
  const later = el("button", { type: "button" }, "Coming hours");
  later.addEventListener("click", () => comingHours(station, hours).catch(failed));
  const plans = el("ul", { class: "plans", hidden: true });
  const sold = el("button", { type: "button" }, "Swap plans");
  sold.addEventListener("click", () => stationPlans(station, plans, bought).catch(failed));
  return el(
    "li",
    { class: "card", dataset: { id: station.id } },
    el("strong", {}, station.name),
    el(
      "p",
      { class: "muted" },
      `${(pick.distance_m / 1000).toFixed(1)} km · ${pick.travel_minutes} min away · ` +
        `${station.ready_batteries} charged, ${station.queued} queued · ` +
        `wait on arrival: ${waitText(pick.wait_minutes_on_arrival)} · ` +
        money(station.price_minor, station.currency),
    ),
    queue,
    " ",
    later,
    " ",
    sold,
    hours,
    plans,
  );
}

async function stations() {
  if (!requireSignIn()) return;
  const section = $("#my-ticket");
  let timer = null;
  let socket = null;

  // the place moves as others are served: the ticket's live socket sends it again after every
  // change at the station (it closes normally once the ticket is served or left); if it
  // cannot stay open, the page asks every 10 seconds and tries the socket again
  function follow(id) {
    if (socket && socket.ticketId === id) return;
    if (socket) socket.close();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const token = encodeURIComponent(store.getItem(ACCESS) || "");
    const opened = new WebSocket(`${scheme}://${location.host}${API}/queue/${id}/live?access_token=${token}`);
    opened.ticketId = id;
    opened.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "ticket") show(data.ticket);
    });
    opened.addEventListener("close", (event) => {
      if (socket !== opened) return;
      socket = null;
      if (event.code !== 1000 && store.getItem(TICKET) === id) {
        timer = setTimeout(() => load(id).catch(failed), 10_000);
      }
    });
    socket = opened;
  }

  function show(ticket) {
    clearTimeout(timer);
    const active = ticket && (ticket.status === "waiting" || ticket.status === "called");
    section.hidden = !active;
    if (!active) {
      store.removeItem(TICKET);
      if (socket) socket.close();
      socket = null;
      return;
    }
    store.setItem(TICKET, ticket.id);
    $("#ticket-status").textContent =
      ticket.status === "called"
        ? "Your turn: a bay is yours."
        : `Number ${ticket.position} in the queue · ${waitText(ticket.wait_minutes)}`;
    $("#ticket-code").textContent = ticket.qr;
    follow(ticket.id);
  }
  async function load(id) {
    show(await api(`/queue/${id}`));
  }
  async function join(station) {
    try {
      show(await api(`/stations/${station.id}/queue`, { method: "POST" }));
    } catch (error) {
      // queued elsewhere already (another tab, the app): show that place
      if (error.code !== "already_queued") throw error;
      await load(error.problem.ticket_id);
      alertBox(error.message);
    }
  }
  $("#leave").addEventListener("click", async () => {
    try {
      show(await api(`/queue/${store.getItem(TICKET)}/leave`, { method: "POST" }));
    } catch (error) {
      failed(error);
    }
  });
  $("#find").addEventListener("click", () => {
    if (!navigator.geolocation) return alertBox("Your browser cannot tell where you are.");
    navigator.geolocation.getCurrentPosition(
      async (position) => {
        try {
          const { latitude: lat, longitude: lon } = position.coords;
          const picks = await api(`/stations?lat=${lat}&lon=${lon}&radius_m=5000`);
          $("#station-list").replaceChildren(...picks.map((p) => stationItem(p, join, credits)));
          $("#no-stations").hidden = picks.length > 0;
        } catch (error) {
          failed(error);
        }
      },
      () => alertBox("Your browser did not give your position."),
    );
  });
  // the plans bought: the swaps left of each, until when
  async function credits() {
    const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
    const mine = await api("/stations/credits");
    const now = Date.now();
    const live = mine.filter((c) => c.swaps_left > 0 && new Date(c.expires_at).getTime() > now);
    $("#credit-list").replaceChildren(
      ...live.map((c) => el("li", {}, `${c.swaps_left} of ${c.swaps_bought} swaps left, until ${day.format(new Date(c.expires_at))}`)),
    );
    $("#credits").hidden = live.length === 0;
  }
  const kept = store.getItem(TICKET);
  await Promise.all([kept ? load(kept) : null, credits()]);
}

// ---- the journey assistant ---------------------------------------------------------------

const CONVERSATION = "navio.conversation";

function journeyDay(day, currency) {
  const lines = [];
  if (day.ride) {
    const ride = day.ride;
    const times = ride.departs ? ` ${ride.departs.slice(0, 5)}–${(ride.arrives || "").slice(0, 5)}` : "";
    lines.push(`${ride.mode} from ${ride.origin} to ${ride.destination}${times} · ${money(ride.cost_minor, currency)}`);
  }
  for (const meal of day.meals) {
    lines.push(`${meal.slot}: ${meal.name} (${meal.cuisines.join(", ") || "—"}) · ${money(meal.cost_minor, currency)}`);
  }
  if (day.sights.length) lines.push(`see: ${day.sights.map((s) => s.name).join(", ")}`);
  if (day.stay) {
    const rooms = day.stay.rooms > 1 ? ` × ${day.stay.rooms}` : "";
    lines.push(`night: ${day.stay.name} (${day.stay.room_type}${rooms}) · ${money(day.stay.cost_minor, currency)}`);
  }
  const where = day.from_city ? `${day.from_city} → ${day.city}` : day.city;
  return el(
    "section",
    { class: "day", dataset: { day: day.number } },
    el("h3", {}, `Day ${day.number} · ${day.date} · ${where}`),
    el("ul", { class: "stops" }, ...lines.map((line) => el("li", { class: "stop" }, line))),
  );
}

function showJourney(journey) {
  const section = $("#journey");
  section.hidden = !journey;
  if (!journey) return;
  const cost = journey.cost;
  $("#journey-title").textContent = `${journey.cities.join(" → ")}, ${journey.days.length} days`;
  $("#journey-cost").textContent =
    `${money(cost.total_minor, cost.currency)} of ${money(cost.budget_minor, cost.currency)}: ` +
    `transport ${money(cost.transport_minor, cost.currency)}, lodging ${money(cost.lodging_minor, cost.currency)}, ` +
    `meals ${money(cost.meals_minor, cost.currency)}`;
  $("#journey-days").replaceChildren(...journey.days.map((d) => journeyDay(d, cost.currency)));
}

async function telegramChats() {
  const chats = await api("/assistant/channels");
  $("#telegram-chats").replaceChildren(
    ...chats.map((chat) => {
      const unlink = el("button", { type: "button", class: "link" }, "Unlink");
      unlink.addEventListener("click", async () => {
        try {
          await api(`/assistant/channels/${chat.id}`, { method: "DELETE" });
          await telegramChats();
        } catch (error) {
          failed(error);
        }
      });
      const since = new Date(chat.linked_at).toLocaleDateString();
      return el("li", { class: "card" }, `A ${chat.channel} chat, linked on ${since} `, unlink);
    }),
  );
}

function telegramPanel() {
  $("#telegram-link").addEventListener("click", async () => {
    const shown = $("#telegram-code");
    try {
      const made = await api("/assistant/channels/telegram/link", { method: "POST" });
      const until = new Date(made.expires_at).toLocaleTimeString();
      shown.replaceChildren(
        "Open ",
        el("a", { href: made.url, target: "_blank", rel: "noopener" }, made.url),
        ` in Telegram, or send /start ${made.code} to the bot, before ${until}.`,
      );
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "channel_not_configured")) throw error;
      shown.textContent = "Telegram is not set up on this Navio.";
    } finally {
      shown.hidden = false;
    }
  });
  return telegramChats();
}

// one message in the chat, once (a reply reaches every device, the one that sent it too)
function chatLine(message) {
  if (document.querySelector(`#chat li[data-seq="${message.seq}"]`)) return;
  $("#chat").append(el("li", { class: message.role, dataset: { seq: message.seq } }, message.text));
}

async function assistant() {
  if (!requireSignIn()) return;
  await telegramPanel();
  let socket = null; // the open conversation's live socket: replies from any device arrive here

  function typing(on) {
    const shown = $("#chat li.typing");
    if (on && !shown) $("#chat").append(el("li", { class: "assistant typing" }, "…"));
    if (!on && shown) shown.remove();
  }

  function listen(id) {
    if (socket) socket.close();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const token = encodeURIComponent(store.getItem(ACCESS) || "");
    const opened = new WebSocket(
      `${scheme}://${location.host}${API}/assistant/conversations/${id}/chat?access_token=${token}`,
    );
    opened.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "typing") typing(true);
      if (frame.type === "error") {
        typing(false);
        alertBox(frame.detail);
      }
      if (frame.type === "reply") {
        typing(false);
        frame.messages.forEach(chatLine);
        const answer = frame.messages[frame.messages.length - 1];
        $("#saved-trip").hidden = true;
        showJourney(answer.journey);
        list().catch(failed);
      }
    });
    opened.addEventListener("close", () => {
      if (socket === opened) socket = null;
    });
    socket = opened;
  }

  function show(conversation) {
    store.setItem(CONVERSATION, conversation.id);
    $("#saved-trip").hidden = true;
    $("#chat").replaceChildren();
    conversation.messages.forEach(chatLine);
    const planned = [...conversation.messages].reverse().find((m) => m.role === "assistant");
    showJourney(planned ? planned.journey : null);
    listen(conversation.id);
  }
  async function list() {
    const page = await api("/assistant/conversations?limit=20");
    $("#conversations").replaceChildren(
      ...page.items.map((c) => {
        const open = el("button", { type: "button", class: "link" }, c.title);
        open.addEventListener("click", async () => {
          try {
            show(await api(`/assistant/conversations/${c.id}`));
          } catch (error) {
            failed(error);
          }
        });
        return el("li", { class: "card" }, open);
      }),
    );
  }
  $("#say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    alertBox("");
    const text = $("#say").value.trim();
    if (!text) return;
    // taken at once: what is typed while the answer comes is the next message
    $("#say").value = "";
    const button = event.submitter;
    if (button) button.disabled = true;
    try {
      const id = store.getItem(CONVERSATION);
      if (id && socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ text })); // the reply comes back on the socket
      } else {
        const path = id ? `/assistant/conversations/${id}/messages` : "/assistant/conversations";
        show(await api(path, { method: "POST", body: { text } }));
        await list();
      }
    } catch (error) {
      if (error.code === "conversation_not_found") store.removeItem(CONVERSATION);
      if (!$("#say").value) $("#say").value = text; // not sent: give it back
      failed(error);
    } finally {
      if (button) button.disabled = false;
    }
  });
  $("#save-trip").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const id = store.getItem(CONVERSATION);
      const saved = await api(`/assistant/conversations/${id}/trip`, { method: "POST", body: {} });
      const link = $("#saved-trip");
      link.href = `/trips/${saved.trip_id}`;
      link.textContent = `Open “${saved.title}” (${saved.items} items)`;
      link.hidden = false;
      $("#chat").append(el("li", { class: "assistant" }, `Saved as the trip “${saved.title}”.`));
    } catch (error) {
      failed(error);
    } finally {
      button.disabled = false;
    }
  });
  $("#new-conversation").addEventListener("click", () => {
    store.removeItem(CONVERSATION);
    if (socket) socket.close();
    socket = null;
    $("#chat").replaceChildren();
    showJourney(null);
  });
  const kept = store.getItem(CONVERSATION);
  if (kept) {
    try {
      show(await api(`/assistant/conversations/${kept}`));
    } catch {
      store.removeItem(CONVERSATION);
    }
  }
  await list();
}

// ---- fair local prices -------------------------------------------------------------------

const VERDICTS = {
  unusually_low: "Unusually low: far below what others paid.",
  low: "Below the usual range.",
  typical: "A typical price here.",
  high: "Above the usual range.",
  overpriced: "Overpriced: far above what others paid.",
};

function here() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("Your browser cannot tell where you are."));
    navigator.geolocation.getCurrentPosition(
      (position) => resolve(position.coords),
      () => reject(new Error("Your browser did not give your position.")),
    );
  });
}

async function prices() {
  const items = await api("/pricing/items", { auth: false });
  $("#item").replaceChildren(
    ...items.map((item) => el("option", { value: item.code }, `${item.label} (${item.unit})`)),
  );
  const ask = $("#ask");

  async function answer() {
    const { latitude: lat, longitude: lon } = await here();
    const values = formJson(ask);
    const currency = values.currency.trim().toUpperCase();
    const query = new URLSearchParams({ item: values.item, lat, lon, radius_km: values.radius_km, currency });
    let found;
    if (values.amount.trim()) {
      query.set("amount_minor", toMinor(values.amount, currency));
      found = await api(`/pricing/check?${query}`, { auth: false });
    } else {
      found = await api(`/pricing/fair?${query}`, { auth: false });
    }
    $("#answer").hidden = false;
    $("#answer-title").textContent = found.item.label;
    const estimate = found.estimate;
    $("#estimate").textContent = estimate
      ? `Usually ${money(estimate.low_minor, currency)} to ${money(estimate.high_minor, currency)}, ` +
        `median ${money(estimate.median_minor, currency)} · ${estimate.reporters} ` +
        `traveler${estimate.reporters === 1 ? "" : "s"} · ${estimate.confidence} confidence`
      : "";
    $("#verdict").textContent = found.verdict
      ? `${VERDICTS[found.verdict]} (${found.percentile}th percentile)`
      : "";
    $("#explanation").textContent = found.explanation;
  }

  onSubmit(ask, answer);
  onSubmit($("#tell"), async (form) => {
    const { latitude: lat, longitude: lon } = await here();
    const currency = formJson(ask).currency.trim().toUpperCase();
    const body = {
      item: formJson(ask).item,
      amount_minor: toMinor(formJson(form).amount, currency),
      currency,
      lat,
      lon,
    };
    await api("/pricing/reports", { method: "POST", body });
    $("#reported").hidden = false;
    $("#reported").textContent = `Thank you: ${money(body.amount_minor, currency)} reported.`;
    form.reset();
    await answer();
  });

  // watches: what the traveler is told of when prices move
  const WAYS = { any: "up or down", down: "down", up: "up" };
  async function watches() {
    if (!store.getItem(ACCESS)) return;
    const mine = await api("/pricing/watches");
    $("#watch-list").replaceChildren(
      ...mine.map((watch) => {
        const stop = el("button", { type: "button" }, "Stop watching");
        stop.addEventListener("click", async () => {
          try {
            await api(`/pricing/watches/${watch.id}`, { method: "DELETE" });
            await watches();
          } catch (error) {
            failed(error);
          }
        });
        const moved = watch.change && watch.change.significant ? ` · lately ${watch.change.percent > 0 ? "+" : ""}${watch.change.percent} %` : "";
        return el(
          "li",
          {},
          `${watch.item.label} within ${watch.area.radius_km} km, ${WAYS[watch.direction]}${moved} `,
          stop,
        );
      }),
    );
    $("#no-watches").hidden = mine.length > 0;
  }
  onSubmit($("#watch"), async (form) => {
    const { latitude: lat, longitude: lon } = await here();
    const asked = formJson(ask);
    await api("/pricing/watches", {
      method: "POST",
      body: {
        item: asked.item,
        lat,
        lon,
        radius_km: Number(asked.radius_km),
        currency: asked.currency.trim().toUpperCase(),
        direction: formJson(form).direction,
      },
    });
    await watches();
  });
  await watches();
}

// ---- dashboard ---------------------------------------------------------------------------

const METRICS = {
  bookings: "Bookings sold",
  cancellations: "Bookings cancelled",
  swaps: "Battery swaps",
  faults: "Faults reported",
  reviews: "Reviews",
  plan_sales: "Swap plans sold",
};

// one bar per day, as tall as its share of the busiest day
function sparkline(values) {
  const top = Math.max(1, ...values);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", String(values.length * 4));
  svg.setAttribute("height", "24");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", values.join(", "));
  values.forEach((value, i) => {
    const bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    const height = Math.round((value / top) * 22);
    bar.setAttribute("x", String(i * 4));
    bar.setAttribute("y", String(24 - height));
    bar.setAttribute("width", "3");
    bar.setAttribute("height", String(height));
    bar.setAttribute("fill", "#0b6e4f");
    svg.append(bar);
  });
  return svg;
}

function figureTotal(line) {
  if (line.metric === "reviews") return line.count ? `mean ${line.average.toFixed(2)} ★` : "";
  return line.currency ? money(line.total, line.currency) : "";
}

async function figures() {
  const report = await api("/analytics/me");
  const rows = report.series.map((line) =>
    el(
      "tr",
      {},
      el("td", {}, METRICS[line.metric] || line.metric),
      el("td", {}, line.count),
      el("td", {}, figureTotal(line)),
      el("td", {}, sparkline(line.counts)),
    ),
  );
  $("#figures-table tbody").replaceChildren(...rows);
  $("#figures-table").hidden = rows.length === 0;
  $("#figures-empty").hidden = rows.length > 0;
  $("#figures-csv").addEventListener("click", async () => {
    // the CSV needs the token: fetched here, then handed to the browser as a file
    const response = await fetch(`${API}/analytics/me.csv`, {
      headers: { Authorization: `Bearer ${store.getItem(ACCESS)}` },
    });
    if (!response.ok) return failed(new ApiError(response.status, await response.json()));
    const link = el("a", {
      href: URL.createObjectURL(await response.blob()),
      download: `navio-${report.start}-${report.end}.csv`,
    });
    link.click();
    URL.revokeObjectURL(link.href);
  });
}

const percent = (x) => `${(x * 100).toFixed(1)} %`;
const points = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} pts`;
const VERDICT_TEXT = { better: "Better", worse: "Worse", inconclusive: "Not clear yet" };

function resultsTable(results) {
  const rows = results.variants.map((variant) => {
    const versus = variant.conversion;
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, variant.key),
      el("td", {}, variant.units),
      el("td", {}, variant.converted),
      el("td", {}, percent(variant.rate)),
      el("td", {}, versus ? `${points(versus.difference)} (${points(versus.low)} to ${points(versus.high)})` : "—"),
      el("td", {}, versus ? versus.p_value.toFixed(3) : "—"),
      el("td", { class: "verdict" }, versus ? VERDICT_TEXT[versus.verdict] : "control"),
    );
  });
  const head = ["Variant", "Units", "Converted", "Rate", "Against the control", "p-value", "Verdict"];
  return el(
    "table",
    { class: "results-table" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows),
  );
}

async function experimentCard(experiment, reload) {
  const key = encodeURIComponent(experiment.key);
  const card = el(
    "li",
    { class: "card", dataset: { experiment: experiment.key } },
    el("h3", {}, experiment.name, " ", el("span", { class: "tag" }, experiment.status)),
    el("p", { class: "muted" }, `${experiment.key} · goal: ${experiment.goal} · ${experiment.traffic_percent} % of traffic`),
  );
  if (experiment.status !== "draft") {
    const results = await api(`/admin/experiments/${key}/results`);
    card.append(resultsTable(results));
    if (results.sample_ratio && results.sample_ratio.mismatch) {
      card.append(el("p", { class: "note" }, "The split does not follow the weights: distrust these results."));
    }
  }
  if (experiment.status === "stopped") {
    card.append(el("p", {}, `Stopped; everyone gets ${experiment.winner || experiment.variants[0].key}.`));
  }
  const act = async (path, body) => {
    try {
      await api(`/admin/experiments/${key}/${path}`, { method: "POST", body });
      await reload();
    } catch (error) {
      failed(error);
    }
  };
  if (experiment.status === "draft") {
    card.append(el("p", {}, el("button", { type: "button", class: "start" }, "Start")));
    card.querySelector("button.start").addEventListener("click", () => act("start"));
  }
  if (experiment.status === "running") {
    const winner = el(
      "select",
      { "aria-label": `Winner of ${experiment.name}` },
      experiment.variants.map((v) => el("option", { value: v.key }, v.key)),
    );
    const stop = el("button", { type: "button", class: "stop" }, "Stop and ship");
    stop.addEventListener("click", () => act("stop", { winner: winner.value }));
    card.append(el("p", { class: "row" }, winner, stop));
  }
  return card;
}

async function experimentsPanel() {
  const goals = await api("/admin/experiments/goals");
  $("#goals").replaceChildren(...goals.map((goal) => el("option", { value: goal.name }, goal.description)));
  const list = $("#experiment-list");
  async function reload() {
    const found = await api("/admin/experiments");
    list.replaceChildren(...(await Promise.all(found.map((e) => experimentCard(e, reload)))));
  }
  onSubmit($("#new-experiment"), async (form) => {
    const values = formJson(form);
    const body = {
      key: values.key.trim(),
      name: values.name.trim(),
      goal: values.goal.trim(),
      variants: values.variants.split(",").map((v) => ({ key: v.trim() })).filter((v) => v.key),
      traffic_percent: Number(values.traffic_percent),
      planned_units: Number(values.planned_units),
    };
    await api("/admin/experiments", { method: "POST", body });
    form.reset();
    await reload();
  });
  await reload();
}

const DELIVERY_TEXT = { pending: "waiting", sent: "delivered", failed: "failed, will retry", dead: "given up" };

function deliveriesTable(deliveries) {
  const head = ["Event", "Status", "Attempts", "Answer", "Queued"];
  return el(
    "table",
    { class: "deliveries" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      {},
      deliveries.map((d) =>
        el(
          "tr",
          {},
          el("td", {}, d.event_name),
          el("td", { class: "status" }, DELIVERY_TEXT[d.status]),
          el("td", {}, d.attempts),
          el("td", {}, d.response_status ?? d.last_error ?? ""),
          el("td", {}, new Date(d.created_at).toLocaleString()),
        ),
      ),
    ),
  );
}

function webhookCard(hook, reload) {
  const path = `/notifications/webhooks/${hook.id}`;
  const log = el("div", { class: "log" });
  const card = el(
    "li",
    { class: "card", dataset: { webhook: hook.id } },
    el("h3", {}, hook.url, " ", el("span", { class: "tag" }, hook.enabled ? "on" : "off")),
    el("p", { class: "muted" }, hook.events.join(", ")),
    hook.disabled_reason ? el("p", { class: "note" }, `Switched off: ${hook.disabled_reason}`) : null,
  );
  const button = (label, work) => {
    const node = el("button", { type: "button" }, label);
    node.addEventListener("click", async () => {
      alertBox("");
      try {
        await work();
      } catch (error) {
        failed(error);
      }
    });
    return node;
  };
  const showLog = async () => {
    const page = await api(`${path}/deliveries?limit=10`);
    log.replaceChildren(
      page.items.length ? deliveriesTable(page.items) : el("p", { class: "muted" }, "Nothing sent yet."),
    );
  };
  card.append(
    el(
      "p",
      { class: "row" },
      button("Send a test", async () => {
        await api(`${path}/ping`, { method: "POST" });
        await showLog();
      }),
      button("Deliveries", showLog),
      button(hook.enabled ? "Switch off" : "Switch on", async () => {
        await api(path, { method: "PATCH", body: { enabled: !hook.enabled } });
        await reload();
      }),
      button("Delete", async () => {
        await api(path, { method: "DELETE" });
        await reload();
      }),
    ),
    log,
  );
  return card;
}

async function webhooksPanel() {
  const offered = await api("/notifications/webhooks/events");
  $("#webhook-events").replaceChildren(
    ...offered.map((event) =>
      el(
        "label",
        { class: "check" },
        el("input", { type: "checkbox", name: "events", value: event.name }),
        ` ${event.description}`,
      ),
    ),
  );
  const list = $("#webhook-list");
  async function reload() {
    const hooks = await api("/notifications/webhooks");
    list.replaceChildren(...hooks.map((hook) => webhookCard(hook, reload)));
  }
  onSubmit($("#new-webhook"), async (form) => {
    const events = [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value);
    if (!events.length) throw new Error("pick at least one event");
    const made = await api("/notifications/webhooks", {
      method: "POST",
      body: { url: form.elements.url.value.trim(), events },
    });
    $("#webhook-secret").hidden = false;
    $("#webhook-secret").textContent = `Secret for ${made.url}: ${made.secret} (copy it now: it is not shown again)`;
    form.reset();
    await reload();
  });
  await reload();
}

async function dashboard() {
  if (!requireSignIn()) return;
  await figures();
  if (!$("#webhooks").hidden) await webhooksPanel();
  if (!$("#experiments").hidden) await experimentsPanel();
}

const pages = {
  home,
  login,
  register,
  trips,
  trip: tripPage,
  preferences,
  forgot: forgotPassword,
  reset: resetPassword,
  verify: verifyEmail,
  invite: invitation,
  notifications,
  experiences,
  experience,
  stations,
  assistant,
  prices,
  dashboard,
};

async function start() {
  try {
    await header();
    const run = pages[document.body.dataset.page];
    if (run) await run();
  } finally {
    // the page's buttons answer from here on: navio.css keeps them inert until their handlers
    // are attached (a click before that did nothing at all)
    document.body.dataset.ready = "";
  }
}

start().catch(failed);

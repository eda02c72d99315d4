// The Dispatch board: a live view of open incidents for the people of a station, on the same origin as
// the API. No framework and nothing fetched from elsewhere; every number comes from the API, every clock
// counts down from the server's time. Every word on it comes from the language's catalogue (words.<lang>.json,
// served by the app), so this script holds no text a person reads.
'use strict';

(() => {
  const POLL_MS = 1000;
  const STALE_MS = 10000;
  const WALL_PAGE_MS = 10000;
  const TOKEN_KEY = 'dispatch.token';
  const LANGUAGE_KEY = 'dispatch.language';
  const QUEUE_KEY = 'dispatch.queue';
  const SHARING_KEY = 'dispatch.sharing';
  const UNITS_MS = 10000; // the unit panel, and whether this person's unit went off duty
  const POSITION_MS = 20000; // a unit's position every 20 s while sharing (units issue: devices report every 5–30 s)
  const MAX_ACCURACY = 10000; // metres: the API refuses a position vaguer than this, so none is sent (the arrival still is)
  const LOCATE = { enableHighAccuracy: true, timeout: 10000, maximumAge: 15000 };
  const LANGUAGES = ['zh-CN', 'en'];
  const CATEGORIES = ['theft', 'burglary', 'fight', 'traffic-accident', 'noise', 'lost-property', 'homicide', 'mass-incident', 'fire-casualty'];
  // The API's root (/api/), from where this script was served (/api/board/board.js): the prefix is the app's to choose.
  const API = new URL('..', document.currentScript.src).pathname;
  const CLOCKS = ['dispatch', 'arrival', 'resolution'];
  const PRIORITY_RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };

  const params = new URLSearchParams(location.search);
  const wall = params.get('wall') === '1';
  const el = (id) => document.getElementById(id);

  const state = {
    token: null,
    msal: null,
    config: null,
    me: null,
    stations: [],
    stationActions: {}, // station -> what the API says this person may do there as a whole
    incidents: new Map(), // station -> incidents
    etags: new Map(),
    offset: 0, // server time − browser time, in ms
    lastOk: Date.now(),
    selected: 0,
    order: [],
    panel: null, // incident id shown in the side panel, or 'report'
    sound: false,
    seen: null, // what was on the board at the last poll, for the sounds
    summary: new Map(), // clock -> compliance today
    page: 0,
    queue: [], // arrivals pressed while the API was unreachable: { id, station, body, pressedAt }, oldest first
    flushing: false,
    sharing: false,
    lastPosition: null, // when this page last sent its unit's position (server time)
    units: new Map(), // station -> its units as the API lists them (with positions only for those who may read them)
    forms: null, // the side panel's form, kept across the panel's redraws: { shown: 'incident|form', node }
    language: null,
    words: {},
    filters: { station: params.get('station') || '', priority: params.get('priority') || '', status: params.get('status') || '' },
  };

  // ---- time ---------------------------------------------------------------------------------------

  // ---- words --------------------------------------------------------------------------------------

  /** The catalogue's text for key, its {name} and {name:00} placeholders filled from args. */
  function t(key, args = {}) {
    const template = state.words[key];
    if (template === undefined) {
      console.warn(`no word for ${key}`);
      return key;
    }
    return template.replace(/\{(\w+)(?::(0+))?\}/g, (_, name, digits) => {
      const value = args[name];
      return digits ? String(value).padStart(digits.length, '0') : String(value ?? '');
    });
  }

  /** The word for a wire value (a status, a zone, a category…), or the value itself when the catalogue has none. */
  const word = (family, value) => state.words[`${family}.${value}`] ?? value;

  /** ?lang=, else the person's remembered choice, else the browser's preference, else the policy's language. */
  function chooseLanguage() {
    const match = (tag) => LANGUAGES.find((l) => String(tag || '').toLowerCase().split(/[-_]/)[0] === l.toLowerCase().split('-')[0]);
    return match(params.get('lang')) || match(localStorage.getItem(LANGUAGE_KEY)) || navigator.languages.map(match).find(Boolean)
      || match(state.config?.language) || LANGUAGES[0];
  }

  async function setLanguage(language) {
    const response = await fetch(`${API}board/words.${language}.json`, { cache: 'no-store' });
    state.words = await response.json();
    state.language = language;
    document.documentElement.lang = language;
    document.title = t('board.title');
    for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
    for (const e of document.querySelectorAll('[data-t-aria-label]')) e.setAttribute('aria-label', t(e.dataset.tAriaLabel));
    el('language').value = language;
    el('sound').textContent = t(state.sound ? 'board.sound.on' : 'board.sound.off');
    el('categories').replaceChildren(...CATEGORIES.map((c) => new Option(word('category', c), c)));
  }

  async function switchLanguage(language) {
    localStorage.setItem(LANGUAGE_KEY, language);
    const query = new URLSearchParams(location.search);
    query.delete('lang');
    history.replaceState(null, '', `${location.pathname}${query.toString() ? `?${query}` : ''}`);
    await setLanguage(language);
    if (state.me) { showWho(); showDuty(); }
    render();
    state.forms = null;
    if (state.panel && state.panel !== 'report') refreshPanel();
    if (state.panel === 'report') openReport();
  }

  // ---- time ---------------------------------------------------------------------------------------

  const now = () => Date.now() + state.offset;

  /** How long, the way the language shows a clock: 2:05 / 2分05秒, with hours when there are any. */
  function duration(ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return h > 0 ? t('duration.h', { h, m, s }) : t('duration.m', { m, s });
  }

  const number = (n) => new Intl.NumberFormat(state.language).format(n);

  /** An ISO-8601 duration as the API writes one (P1DT2H3M4S, PT2S), in ms. */
  function isoDurationMs(iso) {
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso) || [];
    return ((((Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 60 + Number(m[3] || 0)) * 60) + Number(m[4] || 0)) * 1000;
  }

  function localTime(iso) {
    if (!iso) return '';
    const zone = state.config?.timeZone || 'UTC';
    return new Intl.DateTimeFormat(state.language, { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  }

  function timeElement(iso) {
    const time = document.createElement('time');
    time.dateTime = iso;
    time.textContent = localTime(iso);
    time.title = t('board.time.utc', { iso });
    return time;
  }

  /** Today's station-day in the policy's zone, from its dayStartsAt: the reports' "today". */
  function stationDay() {
    const zone = state.config?.timeZone || 'UTC';
    const [h, m] = (state.config?.dayStartsAt || '08:00').split(':').map(Number);
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
      .formatToParts(new Date(now())).map((p) => [p.type, p.value]));
    let day = new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day));
    if (+parts.hour % 24 * 60 + +parts.minute < h * 60 + m) day = new Date(day.getTime() - 86400000);
    return day.toISOString().slice(0, 10);
  }

  // ---- the API ------------------------------------------------------------------------------------

  async function api(path, options = {}) {
    // The API words its problems (validation messages beside the fields) in the board's language.
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${state.token}`, 'Accept-Language': state.language };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const sent = Date.now();
    const response = await fetch(`${API}${path}`, { ...options, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store' });
    const serverTime = response.headers.get('X-Server-Time');
    if (serverTime) state.offset = Date.parse(serverTime) - (sent + Date.now()) / 2;
    if (response.status === 401) {
      await signedOut();
      throw new Error('signed out');
    }
    return response;
  }

  async function json(path) {
    const response = await api(path);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  // ---- signing in ---------------------------------------------------------------------------------

  async function signIn() {
    state.config = await (await fetch(`${API}board/config.json`, { cache: 'no-store' })).json();
    await setLanguage(chooseLanguage());
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get('token')) {
      // The token rides in the fragment, which browsers never send; keep it for this tab only and take it off the address bar.
      sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    state.token = sessionStorage.getItem(TOKEN_KEY);
    if (!state.token && state.config.clientId) state.token = await entraToken();
    if (!state.token) {
      showSignIn('board.signin.link');
      return false;
    }
    return true;
  }

  /** Entra ID in Azure: authorization code with PKCE through MSAL, served by this app. */
  async function entraToken() {
    if (!window.msal) {
      await new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${API}board/msal-browser.min.js`;
        script.onload = resolve;
        script.onerror = () => reject(new Error(t('board.signin.no-msal')));
        document.head.append(script);
      });
    }
    const c = state.config;
    state.msal = new window.msal.PublicClientApplication({
      auth: { clientId: c.clientId, authority: c.authority, redirectUri: `${location.origin}${API}board` },
      cache: { cacheLocation: 'sessionStorage' },
    });
    await state.msal.initialize();
    const result = await state.msal.handleRedirectPromise();
    const account = result?.account || state.msal.getAllAccounts()[0];
    if (!account) {
      await state.msal.loginRedirect({ scopes: [c.scope] });
      return null;
    }
    const token = await state.msal.acquireTokenSilent({ scopes: [c.scope], account });
    return token.accessToken;
  }

  async function signedOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.msal) {
      state.token = await entraToken().catch(() => null);
      if (state.token) return;
    }
    showSignIn('board.signin.expired');
  }

  function showSignIn(key, args) {
    const heading = document.createElement('h2');
    heading.textContent = t('board.signin.title');
    const text = document.createElement('p');
    text.textContent = t(key, args);
    el('signin').replaceChildren(heading, text);
    el('signin').hidden = false;
    document.querySelector('main').hidden = true;
  }

  // ---- who may do what: the API says, per incident (its actions) and per station; nothing is decided here --

  const may = (i, action) => (i.actions || []).includes(action);
  const mayAt = (station, action) => (state.stationActions[station] || []).includes(action);

  // ---- loading ------------------------------------------------------------------------------------

  async function loadMe() {
    state.me = await json('me');
    const stations = await json('stations');
    state.stations = stations.stations;
    state.stationActions = stations.actions || {};
    showWho();
    const select = el('filter-station');
    for (const s of state.stations) select.append(new Option(s, s));
    select.value = state.filters.station;
    el('filter-priority').value = state.filters.priority;
    el('filter-status').value = state.filters.status;
    el('new-report').hidden = wall || !state.stations.some((s) => mayAt(s, 'report'));
  }

  function showWho() {
    const roles = [...state.me.roles.map((r) => word('role', r)), ...state.me.memberships.map((m) =>
      t(m.unit ? 'board.membership-unit' : 'board.membership', { role: word('role', m.role), station: m.station, unit: m.unit }))];
    el('who').textContent = t('board.who', { name: state.me.person.name, id: state.me.person.id, roles: roles.join(t('list.separator')) || t('board.no-station') });
  }

  const watched = () => (state.filters.station ? [state.filters.station] : state.stations);

  async function poll() {
    try {
      let changed = false;
      for (const station of watched()) {
        const etag = state.etags.get(station);
        const response = await api(`incidents?station=${encodeURIComponent(station)}&status=open&pageSize=100`, { headers: etag ? { 'If-None-Match': etag } : {} });
        if (response.status === 304) continue;
        if (!response.ok) throw new Error(`list ${station}: ${response.status}`);
        const page = await response.json();
        let items = page.items;
        let next = page.next;
        for (let pages = 1; next && pages < 5; pages++) {
          const more = await json(next.slice(API.length));
          items = items.concat(more.items);
          next = more.next;
        }
        state.incidents.set(station, items);
        state.etags.set(station, response.headers.get('ETag'));
        changed = true;
      }
      state.lastOk = Date.now();
      el('stale').hidden = true;
      flushQueue();
      if (changed) {
        listen();
        render();
        if (state.panel && state.panel !== 'report') refreshPanel();
      }
    } catch (e) {
      if (e.message !== 'signed out') console.warn(e);
    }
  }

  async function loadSummary() {
    const station = watched().find((s) => mayAt(s, 'read-reports'));
    if (!station) return;
    const day = stationDay();
    for (const clock of CLOCKS) {
      try {
        const report = await json(`reports/response-times?station=${encodeURIComponent(station)}&from=${day}&to=${day}&clock=${clock}`);
        state.summary.set(clock, { station, compliance: report.total.compliance });
      } catch { /* the tile shows a dash */ }
    }
  }

  // ---- what is shown -----------------------------------------------------------------------------

  // A clock that has ended (met, or stopped by a cancellation) shows the figure frozen when it ended and never
  // reads the time again: only a running clock counts. One met after its deadline reads as late by the API's
  // frozen overdueBy and says it is over, so nobody takes it for a unit still not sent.
  function clockView(clock, at) {
    const endedAt = clock.metAt || clock.stoppedAt;
    if (endedAt) {
      const time = localTime(endedAt);
      if (clock.overdueBy) {
        return { state: 'late', text: t(clock.metAt ? 'board.clock.met-late' : 'board.clock.stopped-late', { late: duration(isoDurationMs(clock.overdueBy)), time }), left: Infinity };
      }
      return clock.metAt ? { state: 'met', text: t('board.clock.met', { time }), left: Infinity } : { state: 'stopped', text: t('board.clock.stopped'), left: Infinity };
    }
    // Paused (issue 28): no countdown; why, for how long so far, and when it resumes by itself.
    if (clock.paused) {
      const p = clock.paused;
      return { state: 'paused', text: t('board.clock.paused', { reason: word('pause-reason', p.reason), paused: duration(at - Date.parse(p.since)), time: localTime(p.resumesBy) }), left: Infinity };
    }
    const left = Date.parse(clock.deadline) - at;
    return left >= 0
      ? { state: 'running', text: t('board.clock.running', { left: duration(left) }), left, soon: left < 60000 }
      : { state: 'breached', text: t('board.clock.overdue', { late: duration(left) }), left };
  }

  function leastLeft(i, at) {
    return Math.min(...CLOCKS.map((c) => clockView(i.clocks[c], at).left));
  }

  const escalatedUnacknowledged = (i) => CLOCKS.some((c) => i.clocks[c].level > 0 && !i.clocks[c].acknowledgedAt);

  /** A unit of mine (from my memberships), or none. */
  const myUnits = () => (state.me?.memberships || []).filter((m) => m.unit);

  /** Dispatched to me or to my unit: an officer's own work, shown before the station's. */
  const assignedToMe = (i) => i.officer?.id === state.me?.person.id || myUnits().some((m) => m.station === i.station && m.unit === i.unit);

  function visible(at) {
    let list = watched().flatMap((s) => state.incidents.get(s) || []);
    if (state.filters.priority) list = list.filter((i) => i.priority === state.filters.priority);
    if (state.filters.status === 'overdue') list = list.filter((i) => leastLeft(i, at) < 0);
    if (state.filters.status === 'escalated') list = list.filter(escalatedUnacknowledged);
    return list
      .map((i) => ({ i, left: leastLeft(i, at), mine: may(i, 'acknowledge') ? 2 : assignedToMe(i) ? 1 : 0 }))
      .sort((a, b) => (b.mine - a.mine) || ((a.left < 0) !== (b.left < 0) ? (a.left < 0 ? -1 : 1) : a.left - b.left) || PRIORITY_RANK[a.i.priority] - PRIORITY_RANK[b.i.priority])
      .map((x) => x.i);
  }

  function render() {
    const at = now();
    const list = visible(at);
    state.order = list.map((i) => i.id);
    state.selected = Math.min(state.selected, Math.max(0, list.length - 1));
    let shown = list;
    if (wall) {
      const per = Math.max(3, Math.floor((window.innerHeight - 260) / 64));
      const pages = Math.max(1, Math.ceil(list.length / per));
      state.page %= pages;
      shown = list.slice(state.page * per, (state.page + 1) * per);
      el('page').hidden = pages < 2;
      el('page').textContent = t('board.page', { page: number(state.page + 1), pages: number(pages) });
    }
    const rows = el('rows');
    const current = new Map([...rows.children].map((tr) => [tr.dataset.incidentId, tr]));
    const next = shown.map((i, index) => {
      const fresh = row(i, at, index === state.selected && !wall);
      const old = current.get(i.id);
      return old ? patch(old, fresh) : fresh;
    });
    // Rows move only when the order changed: a node taken out of the page loses its focus.
    const inPlace = next.length === rows.children.length && next.every((tr, k) => rows.children[k] === tr);
    if (!inPlace) rows.replaceChildren(...next);
    el('empty').hidden = list.length > 0;
    renderSummary(at);
    renderUnits(at);
  }

  // Renders every second must not replace what has not changed: a button swapped for an equal one between a
  // person's press and release gets no click, and the acknowledgement they meant to give is silently lost.
  function patch(old, fresh) {
    if (old.children.length !== fresh.children.length) return fresh;
    old.className = fresh.className;
    old.dataset.priority = fresh.dataset.priority;
    [...fresh.children].forEach((td, k) => {
      if (!old.children[k].isEqualNode(td)) old.replaceChild(td, old.children[k]);
    });
    return old;
  }

  function cell(content, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    if (content instanceof Node) td.append(content); else td.textContent = content ?? '';
    return td;
  }

  function row(i, at, selected) {
    const tr = document.createElement('tr');
    tr.dataset.incidentId = i.id;
    tr.dataset.priority = i.priority;
    tr.tabIndex = -1;
    if (selected) tr.classList.add('selected');
    if (leastLeft(i, at) < 0) tr.classList.add('overdue');
    tr.addEventListener('click', (e) => {
      if (e.target.closest('button, a')) return;
      state.selected = state.order.indexOf(i.id);
      openPanel(i.id);
    });

    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = i.id.replace(`${i.station}.`, `${i.station} · `);
    tr.append(cell(id));
    const prio = document.createElement('span');
    prio.className = 'prio';
    prio.textContent = word('priority', i.priority);
    tr.append(cell(prio));
    const what = document.createElement('span');
    what.textContent = word('category', i.category);
    const whatCell = cell(what);
    whatCell.append(place(i));
    tr.append(whatCell);
    const steps = ['reported', 'dispatched', 'on-scene', 'resolved'];
    const reached = Math.max(0, steps.indexOf(i.status));
    const progress = document.createElement('span');
    progress.className = 'progress';
    progress.setAttribute('aria-hidden', 'true');
    progress.textContent = steps.map((_, n) => (n <= reached ? '●' : '○')).join('');
    const statusCell = cell(`${word('status', i.status)} `);
    statusCell.append(progress, checkedArrival(i));
    tr.append(statusCell);
    tr.append(cell(i.unit ? `${i.unit} / ${i.officer?.name ?? ''}` : '—'));
    for (const c of CLOCKS) {
      const view = clockView(i.clocks[c], at);
      const td = cell(view.text, 'clock');
      td.dataset.clock = c;
      td.dataset.state = view.state;
      if (view.soon) td.classList.add('soon');
      td.title = t('board.clock.deadline', { clock: word('clock', c), local: localTime(i.clocks[c].deadline), utc: i.clocks[c].deadline });
      tr.append(td);
    }
    const esc = CLOCKS.filter((c) => i.clocks[c].level > 0).map((c) => {
      const k = i.clocks[c];
      return k.acknowledgedAt
        ? t('board.escalation.acknowledged', { level: number(k.level), clock: word('clock', c), name: k.acknowledgedBy?.name ?? '', time: localTime(k.acknowledgedAt) })
        : t('board.escalation.open', { level: number(k.level), clock: word('clock', c) });
    });
    const escCell = cell(esc.join('; ') || '—', esc.length ? 'esc' : '');
    if (esc.length && !escalatedUnacknowledged(i)) escCell.classList.add('acked');
    tr.append(escCell);
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const [label, action, name] of actionsFor(i)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.action = name;
      if (NEXT_STEPS.includes(name)) b.className = 'next-step';
      b.textContent = label;
      b.setAttribute('aria-label', t('board.button', { action: label, id: i.id }));
      b.addEventListener('click', () => action());
      actions.append(b);
    }
    const waiting = state.queue.find((q) => q.id === i.id);
    if (waiting) {
      actions.querySelector('[data-action="arrive"]')?.remove();
      const note = document.createElement('span');
      note.className = 'queued';
      note.textContent = t('board.queued', { action: word('action', 'arrive'), time: localTime(new Date(waiting.pressedAt).toISOString()) });
      actions.append(note);
    }
    tr.append(cell(actions, 'actions'));
    nameColumns(tr);
    return tr;
  }

  /** Each cell names its column, for the phone's cards (board.css shows it above the cell's content); the buttons need none. */
  function nameColumns(tr) {
    const heads = [...document.querySelectorAll('#queue thead th')];
    [...tr.children].forEach((td, k) => {
      if (heads[k] && !heads[k].classList.contains('actions-col')) td.dataset.label = heads[k].textContent;
    });
  }

  /** Whether the map agreed with the arrival (issue 27): 到场已核验, or 到场未核验 with how far, or without a position. */
  function checkedArrival(i) {
    const note = document.createElement('span');
    note.className = 'verified';
    const a = i.arrival;
    if (a) {
      const distance = a.distanceMeters === null || a.distanceMeters === undefined ? null : metres(a.distanceMeters);
      note.textContent = distance === null ? t('board.arrival.no-position') : t(a.verified ? 'board.arrival.verified' : 'board.arrival.unverified', { distance });
    }
    return note;
  }

  const metres = (m) => (m < 1000
    ? t('distance.m', { n: number(Math.round(m)) })
    : t('distance.km', { n: new Intl.NumberFormat(state.language, { maximumFractionDigits: 1 }).format(m / 1000) }));

  /** Zone and address; with coordinates, a link that opens the handset's map app there (geo: URI, RFC 5870). */
  function place(i) {
    const { latitude, longitude, address } = i.location;
    const hasPoint = latitude !== null && latitude !== undefined && longitude !== null && longitude !== undefined;
    const where = document.createElement(hasPoint ? 'a' : 'span');
    where.className = hasPoint ? 'where map' : 'where';
    where.textContent = `${word('zone', i.zone)} · ${address}`;
    if (hasPoint) {
      where.href = `geo:${latitude},${longitude}?q=${latitude},${longitude}(${encodeURIComponent(address)})`;
      where.setAttribute('aria-label', t('board.map', { address: where.textContent })); // its visible text first (WCAG 2.5.3)
    }
    return where;
  }

  /** The officer's next step on his own incident: one large button on a phone (board.css). */
  const NEXT_STEPS = ['arrive', 'resolve'];

  /** A button for each action the API lists for this person on this incident, and for nothing else. */
  const BUTTONS = {
    dispatch: (i) => openPanel(i.id, 'dispatch'),
    reassign: (i) => openPanel(i.id, 'reassign'),
    arrive: (i) => arrive(i),
    resolve: (i) => openPanel(i.id, 'resolve'),
    close: (i) => act(i, 'close', {}),
    acknowledge: (i) => acknowledge(i),
    cancel: (i) => openPanel(i.id, 'cancel'),
    pause: (i) => openPanel(i.id, 'pause'),
    resume: (i) => openPanel(i.id, 'resume'),
  };

  function actionsFor(i) {
    if (wall) return [];
    return (i.actions || []).filter((a) => BUTTONS[a]).map((a) => [word('action', a), () => BUTTONS[a](i), a]);
  }

  /** Acknowledges the level this board showed: if the ladder has climbed since, the API says so (409) and the next poll shows where it stands. */
  const acknowledge = (i) => act(i, 'acknowledge', i.reachedLevel ? { level: i.reachedLevel } : {});

  function renderSummary(at) {
    const all = watched().flatMap((s) => state.incidents.get(s) || []);
    const tiles = [];
    for (const p of Object.keys(PRIORITY_RANK)) tiles.push([t('board.summary.open', { priority: word('priority', p) }), number(all.filter((i) => i.priority === p).length), false]);
    const breached = all.filter((i) => leastLeft(i, at) < 0).length;
    tiles.push([t('board.summary.breached'), number(breached), breached > 0]);
    const unacked = all.filter(escalatedUnacknowledged).length;
    tiles.push([t('board.summary.unacknowledged'), number(unacked), unacked > 0]);
    for (const c of CLOCKS) {
      const s = state.summary.get(c);
      const label = s ? t('board.summary.today-at', { clock: word('clock', c), station: s.station }) : t('board.summary.today', { clock: word('clock', c) });
      tiles.push([label, s && s.compliance !== null ? new Intl.NumberFormat(state.language, { style: 'percent' }).format(s.compliance) : '—', false]);
    }
    el('summary').replaceChildren(...tiles.map(([label, value, alert]) => {
      const div = document.createElement('div');
      div.className = `tile${alert ? ' alert' : ''}`;
      div.innerHTML = '<span class="label"></span><span class="value"></span>';
      div.firstChild.textContent = label;
      div.lastChild.textContent = String(value);
      return div;
    }));
  }

  // ---- the unit panel: the station's units, their status since when, and (for those who may read them) positions --

  /** The stations whose units this page shows and follows: the one chosen, else the person's own, and his unit's. */
  function unitStations() {
    const own = (state.me?.memberships || []).map((m) => m.station);
    return [...new Set([...(state.filters.station ? [state.filters.station] : own), ...myUnits().map((m) => m.station)])];
  }

  async function loadUnits() {
    if (wall) return;
    for (const station of unitStations()) {
      try {
        state.units.set(station, (await json(`stations/${encodeURIComponent(station)}/units`)).units);
      } catch { /* shown as last read */ }
    }
    renderUnits(now());
    showDuty();
  }

  function renderUnits(at) {
    const stations = unitStations().filter((s) => state.units.has(s));
    el('units').hidden = wall || stations.length === 0;
    if (!el('units').hidden) el('units-body').replaceChildren(...stations.map((s) => unitTable(s, state.units.get(s), at)));
  }

  /** One station's units; the position column only when the API gave positions (it gives them only to whoever may read them). */
  function unitTable(station, units, at) {
    const table = document.createElement('table');
    table.className = 'unit-list';
    table.dataset.station = station;
    table.createCaption().textContent = t('board.units.of', { station });
    const positions = units.some((u) => u.position);
    const heads = ['board.units.unit', 'board.units.status', 'board.units.since', ...(positions ? ['board.units.position'] : [])].map((k) => t(k));
    const head = table.createTHead().insertRow();
    for (const text of heads) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = text;
      head.append(th);
    }
    const body = table.createTBody();
    for (const u of units) {
      const tr = body.insertRow();
      tr.dataset.unit = u.id;
      tr.dataset.status = u.status;
      const status = word('unit-status', u.status);
      const cells = [
        u.name && u.name !== u.id ? t('board.units.name', { name: u.name, id: u.id }) : u.id,
        u.reason ? t('board.units.status-reason', { status, reason: word('unit-reason', u.reason) }) : status,
        u.statusSince ? timeElement(u.statusSince) : '—',
        ...(positions ? [positionAge(u.position, at)] : []),
      ];
      cells.forEach((content, k) => {
        const td = tr.insertCell();
        if (content instanceof Node) td.append(content); else td.textContent = content;
        td.dataset.label = heads[k];
      });
    }
    return table;
  }

  /** How old the unit's last position is, by the server's clock, and marked when the API calls it stale. */
  function positionAge(position, at) {
    const span = document.createElement('span');
    if (!position) {
      span.textContent = t('board.position.none');
      return span;
    }
    span.textContent = t('board.units.age', { age: duration(at - Date.parse(position.at)) });
    return withStaleMark(span, position.stale);
  }

  /** The span, followed by the stale mark when the API calls the position stale. */
  function withStaleMark(span, stale) {
    if (stale) {
      const mark = document.createElement('span');
      mark.className = 'stale-mark';
      mark.textContent = t('board.position.stale');
      span.append(' ', mark);
    }
    return span;
  }

  // ---- acting -------------------------------------------------------------------------------------

  async function act(i, action, body) {
    const response = await api(`incidents/${encodeURIComponent(i.id)}/${action}`, { method: 'POST', body });
    if (response.ok) {
      announce(t('board.announce.done', { action: word('action', action), id: i.id }));
      await refresh(i.station);
      return null;
    }
    return refused(action, i.id, response);
  }

  /** Says the API's reason for refusing an action, and hands its problem+json back (for the fields it names). */
  async function refused(action, id, response) {
    const problem = await response.json().catch(() => ({}));
    announce(t('board.announce.failed', { action: word('action', action), id, reason: problem.detail || problem.title || response.status }));
    return problem;
  }

  /** The station's next poll reads it whole (not a 304), so what was just done shows at once. */
  async function refresh(station) {
    state.etags.delete(station);
    await poll();
    render();
    loadUnits(); // a dispatch or an arrival moved a unit
  }

  let announced = null;
  function announce(text) {
    el('announce').textContent = text;
    clearTimeout(announced);
    announced = setTimeout(() => { el('announce').textContent = ''; }, 10000);
  }

  // ---- the side panel -----------------------------------------------------------------------------

  function find(id) {
    for (const list of state.incidents.values()) {
      const i = list.find((x) => x.id === id);
      if (i) return i;
    }
    return null;
  }

  async function openPanel(id, form) {
    if (wall) return;
    state.panel = id;
    state.form = form || null;
    state.forms = null;
    el('panel').hidden = false;
    await refreshPanel();
    // In a dispatch form the best candidate has the focus: Enter sends it.
    (el('panel-body').querySelector('.candidates button') || el('panel-close')).focus();
  }

  function closePanel() {
    state.panel = null;
    el('panel').hidden = true;
    document.querySelector('tr.selected')?.focus();
  }

  async function refreshPanel() {
    const body = el('panel-body');
    if (state.panel === 'report') return;
    const i = find(state.panel);
    if (!i) {
      el('panel-title').textContent = t('board.panel');
      body.textContent = t('board.panel.gone');
      return;
    }
    el('panel-title').textContent = t('board.panel.title', { priority: word('priority', i.priority), category: word('category', i.category), id: i.id });
    const details = document.createElement('div');
    details.innerHTML = '<p class="where"></p><p></p>';
    details.firstChild.textContent = `${word('zone', i.zone)} · ${i.location.address}`;
    details.lastChild.textContent = i.description || '';
    // A poll that changed the station redraws the panel but keeps its form as it is: what a person was typing, and
    // the button that has the focus, stay where they were.
    const shown = `${i.id}|${state.form}`;
    if (state.forms?.shown !== shown) {
      const forms = document.createElement('div');
      if (state.form === 'dispatch' || state.form === 'reassign') forms.append(await dispatchForm(i, state.form));
      if (state.form === 'resolve') forms.append(simpleForm(i, 'resolve', 'outcome', 'board.form.outcome', 'board.form.submit-resolve'));
      if (state.form === 'cancel') forms.append(simpleForm(i, 'cancel', 'reason', 'board.form.reason', 'board.form.submit-cancel'));
      if (state.form === 'pause' || state.form === 'resume') forms.append(pauseForm(i, state.form));
      state.forms = { shown, node: forms };
    }
    const forms = state.forms.node;
    const timeline = document.createElement('ol');
    timeline.className = 'timeline';
    try {
      const events = (await json(`incidents/${encodeURIComponent(i.id)}/timeline`)).events;
      for (const e of events) {
        const li = document.createElement('li');
        const paused = e.kind === 'paused' || e.kind === 'resumed';
        li.append(timeElement(e.at), ` ${t(paused ? 'board.timeline.pause-item' : 'board.timeline.item', {
          event: word('event', e.kind), actor: e.actor.name, ...(paused ? { clock: word('clock', e.details.clock), reason: word('pause-reason', e.details.reason) } : {}),
        })}`);
        timeline.append(li);
      }
    } catch { /* shown without its timeline */ }
    const heading = document.createElement('h3');
    heading.textContent = t('board.timeline');
    if (forms.parentNode === body) {
      // Never taken out of the page: a node taken out loses the focus.
      while (forms.previousSibling) forms.previousSibling.remove();
      while (forms.nextSibling) forms.nextSibling.remove();
      forms.before(details);
      forms.after(heading, timeline);
    } else {
      body.replaceChildren(details, forms, heading, timeline);
    }
  }

  function field(key, input, args = {}) {
    const l = document.createElement('label');
    l.textContent = t(key, args);
    l.append(input);
    const error = document.createElement('span');
    error.className = 'error';
    error.dataset.errorFor = input.name;
    l.append(error);
    return l;
  }

  function showErrors(form, problem) {
    form.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
    const errors = problem?.errors || {};
    for (const [name, messages] of Object.entries(errors)) {
      const target = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) || form.querySelector('.form-error');
      if (target) target.textContent = messages.join(' ');
    }
    if (!Object.keys(errors).length && problem) form.querySelector('.form-error').textContent = problem.detail || problem.title || '';
  }

  function formShell(submitKey) {
    const form = document.createElement('form');
    form.noValidate = true;
    const general = document.createElement('p');
    general.className = 'error form-error';
    form.append(general);
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = 'primary';
    submit.textContent = t(submitKey);
    return { form, submit };
  }

  function simpleForm(i, action, name, labelKey, submitKey) {
    const { form, submit } = formShell(submitKey);
    const input = document.createElement('input');
    input.name = name;
    form.append(field(labelKey, input), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const problem = await act(i, action, { [name]: input.value });
      if (problem) showErrors(form, problem); else closePanel();
    });
    return form;
  }

  /**
   * Pause: a clock still running, and a reason from the policy's list (the API judges the rest: a clock past its
   * deadline is refused, and the refusal shows in the form). Resume: one of the paused clocks.
   */
  function pauseForm(i, action) {
    const { form, submit } = formShell(action === 'pause' ? 'board.form.submit-pause' : 'board.form.submit-resume');
    const clock = document.createElement('select');
    clock.name = 'clock';
    for (const c of CLOCKS.filter((k) => !i.clocks[k].metAt && !i.clocks[k].stoppedAt && !!i.clocks[k].paused === (action === 'resume'))) clock.append(new Option(word('clock', c), c));
    form.append(field('board.form.clock', clock));
    const reason = document.createElement('select');
    const note = document.createElement('input');
    if (action === 'pause') {
      reason.name = 'reason';
      for (const r of state.config?.pauseReasons || []) reason.append(new Option(word('pause-reason', r), r));
      note.name = 'note';
      form.append(field('board.form.pause-reason', reason), field('board.form.note', note));
    }
    form.append(submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = action === 'pause' ? { clock: clock.value, reason: reason.value, ...(note.value ? { note: note.value } : {}) } : { clock: clock.value };
      const problem = await act(i, action, body);
      if (problem) showErrors(form, problem); else closePanel();
    });
    return form;
  }

  /**
   * Dispatch or reassign: the API's candidates for the incident, best first, each a button that sends that unit with
   * its first officer on the roster; the best one has the focus, so Enter dispatches it (one key). A unit out of
   * service or off duty asks for the override reason first (the API refuses it without one). Under them, any officer
   * and unit by hand, as before.
   */
  async function dispatchForm(i, action) {
    const { form, submit } = formShell(action === 'reassign' ? 'board.form.submit-reassign' : 'board.form.submit-dispatch');
    const unit = document.createElement('input');
    unit.name = 'unit';
    const officer = document.createElement('select');
    officer.name = 'officer';
    const overrideReason = document.createElement('input');
    overrideReason.name = 'override';
    let members = [];
    try {
      const roster = await json(`stations/${encodeURIComponent(i.station)}/roster`);
      // A dispatch goes to a member with a unit on the roster: the unit is theirs (the API refuses any other).
      members = roster.members.filter((x) => x.unit);
      for (const m of members) {
        const o = new Option(t('board.form.officer-option', { name: m.name, unit: m.unit }), m.id);
        o.dataset.unit = m.unit ?? '';
        officer.append(o);
      }
    } catch { /* the API still refuses an officer it does not know */ }
    const fill = () => { unit.value = officer.selectedOptions[0]?.dataset.unit || unit.value; };
    officer.addEventListener('change', fill);
    fill();
    form.append(field('board.form.officer', officer), field('board.form.unit', unit), field('board.form.override-optional', overrideReason), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const problem = await act(i, action, { unit: unit.value, officer: officer.value, ...(overrideReason.value ? { override: overrideReason.value } : {}) });
      if (problem) showErrors(form, problem); else closePanel();
    });
    const box = document.createElement('div');
    box.append(await candidateList(i, action, members, form), form);
    return box;
  }

  const UNAVAILABLE = ['out-of-service', 'off-duty'];

  /** The API's candidates for the incident, in its order; nothing when it gives none (the form by hand remains). */
  async function candidateList(i, action, members, form) {
    const section = document.createElement('section');
    section.className = 'candidates';
    let answer;
    try {
      answer = await json(`incidents/${encodeURIComponent(i.id)}/candidates`);
    } catch {
      return section;
    }
    const heading = document.createElement('h3');
    heading.id = `candidates-${i.id}`;
    heading.textContent = t('board.candidates');
    section.setAttribute('aria-labelledby', heading.id);
    const keys = document.createElement('p');
    keys.textContent = t('board.candidates.keys');
    section.append(heading, keys);
    if (answer.reason) {
      const why = document.createElement('p');
      why.className = 'unranked';
      why.textContent = answer.reason; // the API's own words, in the board's language (Accept-Language)
      section.append(why);
    }
    const list = document.createElement('ol');
    for (const c of answer.candidates) list.append(candidateItem(i, action, c, members, form));
    if (!answer.candidates.length) {
      const none = document.createElement('p');
      none.textContent = t('board.candidates.none');
      section.append(none);
    } else {
      const method = document.createElement('p');
      method.className = 'method';
      method.textContent = answer.estimate.method;
      section.append(list, method);
    }
    return section;
  }

  /** One candidate: a button for it (its officer the first of its unit on the roster) and what the API says of it. */
  function candidateItem(i, action, c, members, manual) {
    const li = document.createElement('li');
    li.dataset.unit = c.unit;
    li.dataset.status = c.status;
    const member = members.find((m) => m.unit.toLowerCase() === c.unit.toLowerCase());
    const facts = document.createElement('span');
    facts.className = 'facts';
    const age = document.createElement('span');
    age.textContent = c.positionAge ? t('board.candidate.age', { age: duration(isoDurationMs(c.positionAge)) }) : t('board.position.none');
    withStaleMark(age, c.stale);
    const parts = [word('unit-status', c.status)];
    if (c.distanceMeters !== null && c.distanceMeters !== undefined) parts.push(metres(c.distanceMeters));
    if (c.etaMinutes !== null && c.etaMinutes !== undefined) parts.push(t('board.candidate.eta', { minutes: new Intl.NumberFormat(state.language, { maximumFractionDigits: 1 }).format(c.etaMinutes) }));
    parts.push(age);
    if (c.withinArrivalWindow === true) parts.push(t('board.candidate.in-window'));
    if (c.withinArrivalWindow === false) parts.push(t('board.candidate.late'));
    if (!member) parts.push(t('board.candidate.no-officer'));
    facts.append(...parts.flatMap((part, k) => (k ? [' · ', part] : [part])));
    if (!member) {
      const name = document.createElement('strong');
      name.textContent = c.name;
      li.append(name, ' ', facts);
      return li;
    }
    const send = document.createElement('button');
    send.type = 'button';
    send.textContent = t('board.button', { action: word('action', action), id: c.name });
    li.append(send, ' ', facts);
    const body = (reason) => ({ unit: c.unit, officer: member.id, ...(reason ? { override: reason } : {}) });
    send.addEventListener('click', async () => {
      if (!UNAVAILABLE.includes(c.status)) {
        const problem = await act(i, action, body());
        if (problem) showErrors(manual, problem); else closePanel();
        return;
      }
      // Out of service or off duty: the API dispatches it only with a reason, which it records.
      if (li.querySelector('form')) { li.querySelector('input').focus(); return; }
      const { form, submit } = formShell('board.form.submit-override');
      const reason = document.createElement('input');
      reason.name = 'override';
      form.append(field('board.form.override', reason, { unit: c.name, status: word('unit-status', c.status) }), submit);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const problem = await act(i, action, body(reason.value));
        if (problem) showErrors(form, problem); else closePanel();
      });
      li.append(form);
      reason.focus();
    });
    return li;
  }

  function openReport() {
    state.panel = 'report';
    el('panel').hidden = false;
    el('panel-title').textContent = t('board.form.report');
    const { form, submit } = formShell('board.form.submit-report');
    const station = document.createElement('select');
    station.name = 'station';
    for (const s of state.stations.filter((x) => mayAt(x, 'report'))) station.append(new Option(s, s));
    const input = (name, type = 'text') => { const x = document.createElement('input'); x.name = name; x.type = type; return x; };
    const choose = (name, values, label) => { const x = document.createElement('select'); x.name = name; values.forEach((v) => x.append(new Option(label(v), v))); return x; };
    const category = input('category');
    category.setAttribute('list', 'categories');
    const priority = choose('priority', Object.keys(PRIORITY_RANK), (p) => t('board.form.priority-option', { priority: word('priority', p), word: word('priority-word', p) }));
    const zone = choose('zone', ['urban', 'suburban', 'rural'], (z) => word('zone', z));
    const channel = choose('channel', ['phone', 'walk-in', 'patrol', 'online', 'referral'], (c) => word('channel', c));
    const address = input('location.address');
    const description = document.createElement('textarea');
    description.name = 'description';
    const contact = input('reporterContact');
    form.append(field('board.form.station', station), field('board.form.category', category), field('board.form.priority', priority), field('board.form.zone', zone),
      field('board.form.channel', channel), field('board.form.address', address), field('board.form.description', description), field('board.form.contact', contact), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {
        station: station.value, category: category.value, priority: priority.value, zone: zone.value, channel: channel.value,
        location: { address: address.value }, description: description.value, reporterContact: contact.value || null,
      };
      const response = await api('incidents', { method: 'POST', body });
      if (response.ok) {
        const created = await response.json();
        announce(t('board.announce.reported', { id: created.id }));
        closePanel();
        await refresh(created.station);
      } else {
        showErrors(form, await response.json().catch(() => null));
      }
    });
    el('panel-body').replaceChildren(form);
    category.focus();
  }

  // ---- in the field: arrival with the handset's position, kept when the API cannot be reached; the unit's position --

  /** Where the handset is and how sure it is; null when the person refused, the device cannot tell, or it took too long. */
  function here() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => resolve(p.coords.accuracy <= MAX_ACCURACY ? { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy } : null),
      () => resolve(null),
      LOCATE));
  }

  /** Arrival carries where the handset was, when it may say; refused, the arrival still counts and the API records it as unverified. */
  async function arrive(i) {
    const pressedAt = now();
    const key = idempotencyKey(); // made at the press: every retry of this arrival is the same request
    const position = await here();
    await sendArrival({ id: i.id, station: i.station, unit: i.unit, by: state.me.person.id, body: position || {}, pressedAt, key });
  }

  /** 128 random bits in hex (getRandomValues works where randomUUID does not: a page served over plain http). */
  const idempotencyKey = () => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

  /**
   * An arrival refused because the incident is already on scene with the unit it was pressed for: an earlier attempt
   * of the same press reached the server and only its answer was lost. The API honours Idempotency-Key on reports,
   * not (yet) on arrivals, so the retry gets a 409 instead of the stored answer; the incident as it stands says it is done.
   */
  async function arrivedAlready(item) {
    const current = await json(`incidents/${encodeURIComponent(item.id)}`).catch(() => null);
    return current?.onSceneAt && item.unit && current.unit === item.unit ? current : null;
  }

  /** This person's queue into the handset's storage, beside what others signed in on it left there (never dropped). */
  function saveQueue() {
    const others = JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]').filter((q) => q.by !== state.me.person.id);
    localStorage.setItem(QUEUE_KEY, JSON.stringify(others.concat(state.queue)));
  }

  // The API stamps an arrival with its own clock when it receives it: the page never sends the time it was pressed,
  // it only shows it, so a queued arrival is recorded late rather than back-dated.
  async function sendArrival(item) {
    let response;
    try {
      response = await api(`incidents/${encodeURIComponent(item.id)}/arrive`, { method: 'POST', body: item.body, headers: item.key ? { 'Idempotency-Key': item.key } : {} });
    } catch (e) {
      if (e.message === 'signed out') return;
      response = null;
    }
    const pressed = localTime(new Date(item.pressedAt).toISOString());
    if (!response || response.status >= 502) {
      if (!state.queue.some((q) => q.id === item.id)) {
        state.queue.push(item);
        saveQueue();
      }
      announce(t('board.announce.queued', { action: word('action', 'arrive'), id: item.id, time: pressed }));
      render();
      return;
    }
    state.queue = state.queue.filter((q) => q.id !== item.id);
    saveQueue();
    const incident = response.ok ? await response.json() : response.status === 409 ? await arrivedAlready(item) : null;
    if (incident) {
      const recorded = localTime(incident.clocks?.arrival?.metAt || incident.onSceneAt);
      announce(t(item.queued ? 'board.announce.sent-late' : 'board.announce.done', { action: word('action', 'arrive'), id: item.id, time: pressed, recorded }));
    } else {
      await refused('arrive', item.id, response);
    }
    await refresh(item.station);
  }

  /** Sends what waited for the connection, oldest first, one at a time; whatever still cannot go stays queued. */
  async function flushQueue() {
    if (state.flushing || !state.queue.length) return;
    state.flushing = true;
    try {
      for (const item of [...state.queue]) {
        await sendArrival({ ...item, queued: true });
        if (state.queue.some((q) => q.id === item.id)) break; // still unreachable
      }
    } finally {
      state.flushing = false;
    }
  }

  /** Whether the unit of this membership is off duty, as the API listed it at the last look (UNITS_MS). */
  const offDuty = (m) => (state.units.get(m.station) || []).find((u) => u.id.toLowerCase() === m.unit.toLowerCase())?.status === 'off-duty';

  /**
   * The duty bar: shown to a person with a unit; while its switch is on, the unit's position goes every POSITION_MS,
   * unless the unit is off duty (set by anyone: seen at the next look at the units), when nothing is sent and the bar says so.
   */
  function showDuty() {
    const units = myUnits();
    const sending = units.filter((m) => !offDuty(m));
    el('duty').hidden = wall || units.length === 0;
    el('duty-switch').setAttribute('aria-checked', String(state.sharing));
    const names = (list) => list.map((m) => m.unit).join(t('list.separator'));
    el('duty-state').textContent = !state.sharing ? t('board.duty.off')
      : sending.length === 0 ? t('board.duty.off-duty', { unit: names(units) })
        : t('board.duty.on', { unit: names(sending), seconds: number(POSITION_MS / 1000), time: state.lastPosition ? localTime(new Date(state.lastPosition).toISOString()) : '—' });
  }

  async function sendPosition() {
    if (!state.sharing || myUnits().every(offDuty)) return;
    const position = await here();
    if (!position || !state.sharing) return;
    for (const m of myUnits().filter((x) => !offDuty(x))) {
      try {
        const response = await api(`stations/${encodeURIComponent(m.station)}/units/${encodeURIComponent(m.unit)}/position`, { method: 'POST', body: position });
        if (response.ok) state.lastPosition = now();
      } catch { /* the next one will try again */ }
    }
    showDuty();
  }

  function setSharing(on) {
    state.sharing = on;
    localStorage.setItem(SHARING_KEY, on ? 'on' : 'off');
    showDuty();
    if (on) sendPosition();
  }

  // ---- sound --------------------------------------------------------------------------------------

  let audio = null;
  function tone(frequencies) {
    if (!state.sound) return;
    audio = audio || new AudioContext();
    let at = audio.currentTime;
    for (const f of frequencies) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = f;
      g.gain.value = 0.15;
      o.connect(g).connect(audio.destination);
      o.start(at);
      o.stop(at + 0.18);
      at += 0.24;
    }
  }

  /** Distinct tones: a new P1 (two high), a clock newly overdue (one low), an escalation to me (three rising). */
  function listen() {
    const at = now();
    const all = watched().flatMap((s) => state.incidents.get(s) || []);
    const snapshot = new Map(all.map((i) => [i.id, { breached: leastLeft(i, at) < 0, level: Math.max(...CLOCKS.map((c) => i.clocks[c].level)) }]));
    if (state.seen) {
      if (all.some((i) => i.priority === 'P1' && !state.seen.has(i.id))) tone([988, 988]);
      if (all.some((i) => snapshot.get(i.id).breached && state.seen.get(i.id) && !state.seen.get(i.id).breached)) tone([330]);
      if (all.some((i) => may(i, 'acknowledge') && state.seen.get(i.id) && snapshot.get(i.id).level > state.seen.get(i.id).level)) tone([523, 659, 784]);
    }
    state.seen = snapshot;
  }

  // ---- controls and keys --------------------------------------------------------------------------

  function setFilter(name, value) {
    state.filters[name] = value;
    const query = new URLSearchParams(location.search);
    if (value) query.set(name, value); else query.delete(name);
    history.replaceState(null, '', `${location.pathname}${query.toString() ? `?${query}` : ''}`);
    if (name === 'station') { state.etags.clear(); poll().then(render); loadSummary(); loadUnits(); }
    render();
  }

  function wire() {
    el('filter-station').addEventListener('change', (e) => setFilter('station', e.target.value));
    el('filter-priority').addEventListener('change', (e) => setFilter('priority', e.target.value));
    el('filter-status').addEventListener('change', (e) => setFilter('status', e.target.value));
    el('panel-close').addEventListener('click', closePanel);
    el('new-report').addEventListener('click', openReport);
    el('language').addEventListener('change', (e) => switchLanguage(e.target.value));
    el('duty-switch').addEventListener('click', () => setSharing(!state.sharing));
    window.addEventListener('online', flushQueue);
    el('sound').addEventListener('click', () => {
      state.sound = !state.sound;
      el('sound').setAttribute('aria-pressed', String(state.sound));
      el('sound').textContent = t(state.sound ? 'board.sound.on' : 'board.sound.off');
      if (state.sound) tone([660]);
    });
    document.addEventListener('keydown', (e) => {
      if (e.target.closest('input, textarea, select') || e.altKey || e.ctrlKey || e.metaKey) return;
      const count = state.order.length;
      if (e.key === 'Escape') { closePanel(); return; }
      if (!count || wall) return;
      if (e.key === 'Enter' && e.target.closest('button, a[href]')) return; // Enter on a button presses it (a candidate: dispatches)
      if (e.key === 'j' || e.key === 'ArrowDown') state.selected = Math.min(count - 1, state.selected + 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') state.selected = Math.max(0, state.selected - 1);
      else if (e.key === 'Enter') { openPanel(state.order[state.selected]); e.preventDefault(); return; }
      else if (e.key === 'd') {
        const i = find(state.order[state.selected]);
        if (i && may(i, 'dispatch')) openPanel(i.id, 'dispatch');
        return;
      }
      else if (e.key === 'a') {
        const i = find(state.order[state.selected]);
        if (i && may(i, 'acknowledge')) acknowledge(i);
        return;
      } else return;
      e.preventDefault();
      render();
      document.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
    });
  }

  // ---- start --------------------------------------------------------------------------------------

  async function start() {
    if (wall) document.body.classList.add('wall');
    if (!(await signIn())) return;
    wire();
    try {
      await loadMe();
    } catch (e) {
      if (e.message !== 'signed out') showSignIn('board.signin.no-api', { reason: e.message });
      return;
    }
    // Arrivals this person pressed while the API was unreachable, kept across a reload until they are sent.
    state.queue = JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]').filter((q) => q.by === state.me.person.id);
    state.sharing = myUnits().length > 0 && localStorage.getItem(SHARING_KEY) !== 'off';
    showDuty();
    // The first position waits for the first look at the units (an off-duty unit sends none); the queue does not.
    loadUnits().then(() => { if (state.sharing) sendPosition(); });
    setInterval(loadUnits, UNITS_MS);
    setInterval(sendPosition, POSITION_MS);
    await poll();
    render();
    loadSummary().then(render); // today's figures come when they come; the queue does not wait for them
    setInterval(render, 1000); // the countdowns
    setInterval(async () => { await poll(); }, POLL_MS);
    setInterval(loadSummary, 60000);
    setInterval(() => {
      const quiet = Date.now() - state.lastOk;
      if (quiet > STALE_MS) {
        el('stale').hidden = false;
        el('stale').textContent = t('board.stale', { seconds: number(Math.round(quiet / 1000)) });
      }
    }, 1000);
    if (wall) setInterval(() => { state.page += 1; render(); }, WALL_PAGE_MS);
  }

  start();
})();

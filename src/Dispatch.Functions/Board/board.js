// The Dispatch board: a live view of open incidents for the people of a station, on the same origin as
// the API. No framework and nothing fetched from elsewhere; every number comes from the API, every clock
// counts down from the server's time.
'use strict';

(() => {
  const POLL_MS = 1000;
  const STALE_MS = 10000;
  const WALL_PAGE_MS = 10000;
  const TOKEN_KEY = 'dispatch.token';
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
    filters: { station: params.get('station') || '', priority: params.get('priority') || '', status: params.get('status') || '' },
  };

  // ---- time ---------------------------------------------------------------------------------------

  const now = () => Date.now() + state.offset;

  function duration(ms) {
    const sign = ms < 0 ? '−' : '';
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${sign}${m}:${String(s).padStart(2, '0')}`;
  }

  /** An ISO-8601 duration as the API writes one (P1DT2H3M4S, PT2S), in ms. */
  function isoDurationMs(iso) {
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso) || [];
    return ((((Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 60 + Number(m[3] || 0)) * 60) + Number(m[4] || 0)) * 1000;
  }

  function localTime(iso) {
    if (!iso) return '';
    const zone = state.config?.timeZone || 'UTC';
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(iso));
  }

  function timeElement(iso) {
    const t = document.createElement('time');
    t.dateTime = iso;
    t.textContent = localTime(iso);
    t.title = `${iso} (UTC)`;
    return t;
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
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${state.token}` };
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
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get('token')) {
      // The token rides in the fragment, which browsers never send; keep it for this tab only and take it off the address bar.
      sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    state.token = sessionStorage.getItem(TOKEN_KEY);
    if (!state.token && state.config.clientId) state.token = await entraToken();
    if (!state.token) {
      showSignIn('Open the board with a link that carries a token: <code>./dispatch up</code> prints one per person of the roster, and <code>./dispatch token --name NAME</code> makes one (append it as <code>#token=…</code>).');
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
        script.onerror = () => reject(new Error('MSAL is not packaged with this app: run npm ci before dotnet publish.'));
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
    showSignIn('Your sign-in has expired or was refused. Open a fresh board link (<code>./dispatch up</code> prints them; <code>./dispatch token</code> makes one).');
  }

  function showSignIn(html) {
    el('signin').innerHTML = `<h2>Sign in to the Dispatch board</h2><p>${html}</p>`;
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
    const roles = [...state.me.roles, ...state.me.memberships.map((m) => `${m.role}@${m.station}${m.unit ? `/${m.unit}` : ''}`)];
    el('who').textContent = `${state.me.person.name} (${state.me.person.id}) · ${roles.join(', ') || 'no station'}`;
    const select = el('filter-station');
    for (const s of state.stations) select.append(new Option(s, s));
    select.value = state.filters.station;
    el('filter-priority').value = state.filters.priority;
    el('filter-status').value = state.filters.status;
    el('new-report').hidden = wall || !state.stations.some((s) => mayAt(s, 'report'));
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
  function clockView(clock, t) {
    const endedAt = clock.metAt || clock.stoppedAt;
    if (endedAt) {
      const how = clock.metAt ? '✓ met' : '■ stopped';
      if (clock.overdueBy) return { state: 'late', text: `▲ ${duration(isoDurationMs(clock.overdueBy))} late · ${how} ${localTime(endedAt)}`, left: Infinity };
      return clock.metAt ? { state: 'met', text: `${how} ${localTime(endedAt)}`, left: Infinity } : { state: 'stopped', text: how, left: Infinity };
    }
    // Paused (issue 28): no countdown; why, for how long so far, and when it resumes by itself.
    if (clock.paused) {
      const p = clock.paused;
      return { state: 'paused', text: `⏸ ${p.reason} · ${duration(t - Date.parse(p.since))} · resumes by ${localTime(p.resumesBy)}`, left: Infinity };
    }
    const left = Date.parse(clock.deadline) - t;
    return left >= 0
      ? { state: 'running', text: `● ${duration(left)}`, left, soon: left < 60000 }
      : { state: 'breached', text: `▲ ${duration(left)} overdue`, left };
  }

  function leastLeft(i, t) {
    return Math.min(...CLOCKS.map((c) => clockView(i.clocks[c], t).left));
  }

  const escalatedUnacknowledged = (i) => CLOCKS.some((c) => i.clocks[c].level > 0 && !i.clocks[c].acknowledgedAt);

  function visible(t) {
    let list = watched().flatMap((s) => state.incidents.get(s) || []);
    if (state.filters.priority) list = list.filter((i) => i.priority === state.filters.priority);
    if (state.filters.status === 'overdue') list = list.filter((i) => leastLeft(i, t) < 0);
    if (state.filters.status === 'escalated') list = list.filter(escalatedUnacknowledged);
    return list
      .map((i) => ({ i, left: leastLeft(i, t), mine: may(i, 'acknowledge') }))
      .sort((a, b) => (b.mine - a.mine) || ((a.left < 0) !== (b.left < 0) ? (a.left < 0 ? -1 : 1) : a.left - b.left) || PRIORITY_RANK[a.i.priority] - PRIORITY_RANK[b.i.priority])
      .map((x) => x.i);
  }

  function render() {
    const t = now();
    const list = visible(t);
    state.order = list.map((i) => i.id);
    state.selected = Math.min(state.selected, Math.max(0, list.length - 1));
    let shown = list;
    if (wall) {
      const per = Math.max(3, Math.floor((window.innerHeight - 260) / 64));
      const pages = Math.max(1, Math.ceil(list.length / per));
      state.page %= pages;
      shown = list.slice(state.page * per, (state.page + 1) * per);
      el('page').hidden = pages < 2;
      el('page').textContent = `Page ${state.page + 1} of ${pages}`;
    }
    const rows = el('rows');
    const current = new Map([...rows.children].map((tr) => [tr.dataset.incidentId, tr]));
    const next = shown.map((i, index) => {
      const fresh = row(i, t, index === state.selected && !wall);
      const old = current.get(i.id);
      return old ? patch(old, fresh) : fresh;
    });
    // Rows move only when the order changed: a node taken out of the page loses its focus.
    const inPlace = next.length === rows.children.length && next.every((tr, k) => rows.children[k] === tr);
    if (!inPlace) rows.replaceChildren(...next);
    el('empty').hidden = list.length > 0;
    renderSummary(t);
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

  function row(i, t, selected) {
    const tr = document.createElement('tr');
    tr.dataset.incidentId = i.id;
    tr.dataset.priority = i.priority;
    tr.tabIndex = -1;
    if (selected) tr.classList.add('selected');
    if (leastLeft(i, t) < 0) tr.classList.add('overdue');
    tr.addEventListener('click', (e) => {
      if (e.target.closest('button')) return;
      state.selected = state.order.indexOf(i.id);
      openPanel(i.id);
    });

    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = i.id.replace(`${i.station}.`, `${i.station} · `);
    tr.append(cell(id));
    const prio = document.createElement('span');
    prio.className = 'prio';
    prio.textContent = i.priority;
    tr.append(cell(prio));
    const what = document.createElement('span');
    what.textContent = i.category;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = `${i.zone} · ${i.location.address}`;
    const whatCell = cell(what);
    whatCell.append(where);
    tr.append(whatCell);
    const steps = ['reported', 'dispatched', 'on-scene', 'resolved'];
    const reached = Math.max(0, steps.indexOf(i.status));
    const progress = document.createElement('span');
    progress.className = 'progress';
    progress.setAttribute('aria-hidden', 'true');
    progress.textContent = steps.map((_, n) => (n <= reached ? '●' : '○')).join('');
    const statusCell = cell(`${i.status} `);
    statusCell.append(progress);
    tr.append(statusCell);
    tr.append(cell(i.unit ? `${i.unit} / ${i.officer?.name ?? ''}` : '—'));
    for (const c of CLOCKS) {
      const view = clockView(i.clocks[c], t);
      const td = cell(view.text, 'clock');
      td.dataset.clock = c;
      td.dataset.state = view.state;
      if (view.soon) td.classList.add('soon');
      td.title = `${c} deadline ${i.clocks[c].deadline} (UTC) · ${localTime(i.clocks[c].deadline)} local`;
      tr.append(td);
    }
    const esc = CLOCKS.filter((c) => i.clocks[c].level > 0).map((c) => {
      const k = i.clocks[c];
      return k.acknowledgedAt ? `⬆${k.level} ${c}, ack ${k.acknowledgedBy?.name ?? ''} ${localTime(k.acknowledgedAt)}` : `⬆${k.level} ${c}, not acknowledged`;
    });
    const escCell = cell(esc.join('; ') || '—', esc.length ? 'esc' : '');
    if (esc.length && !escalatedUnacknowledged(i)) escCell.classList.add('acked');
    tr.append(escCell);
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const [label, action] of actionsFor(i)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.setAttribute('aria-label', `${label} ${i.id}`);
      b.addEventListener('click', () => action());
      actions.append(b);
    }
    tr.append(cell(actions, 'actions'));
    return tr;
  }

  /** A button for each action the API lists for this person on this incident, and for nothing else. */
  const BUTTONS = {
    dispatch: ['Dispatch', (i) => openPanel(i.id, 'dispatch')],
    reassign: ['Reassign', (i) => openPanel(i.id, 'reassign')],
    arrive: ['Arrived', (i) => act(i, 'arrive', {})],
    resolve: ['Resolve', (i) => openPanel(i.id, 'resolve')],
    close: ['Close', (i) => act(i, 'close', {})],
    acknowledge: ['Acknowledge', (i) => acknowledge(i)],
    cancel: ['Cancel', (i) => openPanel(i.id, 'cancel')],
    pause: ['Pause', (i) => openPanel(i.id, 'pause')],
    resume: ['Resume', (i) => openPanel(i.id, 'resume')],
  };

  function actionsFor(i) {
    if (wall) return [];
    return (i.actions || []).filter((a) => BUTTONS[a]).map((a) => [BUTTONS[a][0], () => BUTTONS[a][1](i)]);
  }

  /** Acknowledges the level this board showed: if the ladder has climbed since, the API says so (409) and the next poll shows where it stands. */
  const acknowledge = (i) => act(i, 'acknowledge', i.reachedLevel ? { level: i.reachedLevel } : {});

  function renderSummary(t) {
    const all = watched().flatMap((s) => state.incidents.get(s) || []);
    const tiles = [];
    for (const p of ['P1', 'P2', 'P3', 'P4']) tiles.push([`open ${p}`, all.filter((i) => i.priority === p).length, false]);
    const breached = all.filter((i) => leastLeft(i, t) < 0).length;
    tiles.push(['breached now', breached, breached > 0]);
    const unacked = all.filter(escalatedUnacknowledged).length;
    tiles.push(['escalated, not acknowledged', unacked, unacked > 0]);
    for (const c of CLOCKS) {
      const s = state.summary.get(c);
      tiles.push([`${c} today${s ? ` (${s.station})` : ''}`, s && s.compliance !== null ? `${Math.round(s.compliance * 100)}%` : '—', false]);
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

  // ---- acting -------------------------------------------------------------------------------------

  async function act(i, action, body) {
    const response = await api(`incidents/${encodeURIComponent(i.id)}/${action}`, { method: 'POST', body });
    if (response.ok) {
      announce(`${action} ${i.id}: done`);
      state.etags.delete(i.station);
      await poll();
      render();
      return null;
    }
    const problem = await response.json().catch(() => ({}));
    announce(`${action} ${i.id}: ${problem.detail || problem.title || response.status}`);
    return problem;
  }

  function announce(text) {
    el('announce').textContent = text;
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
    el('panel').hidden = false;
    await refreshPanel();
    el('panel-close').focus();
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
      el('panel-title').textContent = 'Incident';
      body.textContent = 'No longer open.';
      return;
    }
    el('panel-title').textContent = `${i.priority} ${i.category} · ${i.id}`;
    const details = document.createElement('div');
    details.innerHTML = '<p class="where"></p><p></p>';
    details.firstChild.textContent = `${i.zone} · ${i.location.address}`;
    details.lastChild.textContent = i.description || '';
    const forms = document.createElement('div');
    if (state.form === 'dispatch' || state.form === 'reassign') forms.append(await dispatchForm(i, state.form));
    if (state.form === 'resolve') forms.append(simpleForm(i, 'resolve', 'outcome', 'Outcome'));
    if (state.form === 'cancel') forms.append(simpleForm(i, 'cancel', 'reason', 'Reason'));
    if (state.form === 'pause' || state.form === 'resume') forms.append(pauseForm(i, state.form));
    const timeline = document.createElement('ol');
    timeline.className = 'timeline';
    try {
      const events = (await json(`incidents/${encodeURIComponent(i.id)}/timeline`)).events;
      for (const e of events) {
        const li = document.createElement('li');
        li.append(timeElement(e.at), ` ${e.kind}${e.kind === 'paused' || e.kind === 'resumed' ? ` ${e.details.clock} (${e.details.reason})` : ''} by ${e.actor.name}`);
        timeline.append(li);
      }
    } catch { /* shown without its timeline */ }
    const heading = document.createElement('h3');
    heading.textContent = 'Timeline';
    body.replaceChildren(details, forms, heading, timeline);
  }

  function field(label, input) {
    const l = document.createElement('label');
    l.textContent = label;
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

  function formShell(submitLabel) {
    const form = document.createElement('form');
    form.noValidate = true;
    const general = document.createElement('p');
    general.className = 'error form-error';
    form.append(general);
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = 'primary';
    submit.textContent = submitLabel;
    return { form, submit };
  }

  function simpleForm(i, action, name, label) {
    const { form, submit } = formShell(label === 'Reason' ? 'Cancel the incident' : 'Resolve');
    const input = document.createElement('input');
    input.name = name;
    form.append(field(label, input), submit);
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
    const { form, submit } = formShell(action === 'pause' ? 'Pause the clock' : 'Resume the clock');
    const clock = document.createElement('select');
    clock.name = 'clock';
    for (const c of CLOCKS.filter((k) => !i.clocks[k].metAt && !i.clocks[k].stoppedAt && !!i.clocks[k].paused === (action === 'resume'))) clock.append(new Option(c, c));
    form.append(field('Clock', clock));
    const reason = document.createElement('select');
    const note = document.createElement('input');
    if (action === 'pause') {
      reason.name = 'reason';
      for (const r of state.config?.pauseReasons || []) reason.append(new Option(r, r));
      note.name = 'note';
      form.append(field('Reason', reason), field('Note', note));
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

  async function dispatchForm(i, action) {
    const { form, submit } = formShell(action === 'reassign' ? 'Reassign' : 'Dispatch');
    const unit = document.createElement('input');
    unit.name = 'unit';
    const officer = document.createElement('select');
    officer.name = 'officer';
    try {
      const roster = await json(`stations/${encodeURIComponent(i.station)}/roster`);
      // A dispatch goes to a member with a unit on the roster: the unit is theirs (the API refuses any other).
      for (const m of roster.members.filter((x) => x.unit)) {
        const o = new Option(`${m.name} (${m.unit})`, m.id);
        o.dataset.unit = m.unit ?? '';
        officer.append(o);
      }
    } catch { /* the API still refuses an officer it does not know */ }
    const fill = () => { unit.value = officer.selectedOptions[0]?.dataset.unit || unit.value; };
    officer.addEventListener('change', fill);
    fill();
    form.append(field('Officer', officer), field('Unit', unit), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const problem = await act(i, action, { unit: unit.value, officer: officer.value });
      if (problem) showErrors(form, problem); else closePanel();
    });
    return form;
  }

  function openReport() {
    state.panel = 'report';
    el('panel').hidden = false;
    el('panel-title').textContent = 'New report';
    const { form, submit } = formShell('Report');
    const station = document.createElement('select');
    station.name = 'station';
    for (const s of state.stations.filter((x) => mayAt(x, 'report'))) station.append(new Option(s, s));
    const input = (name, type = 'text') => { const x = document.createElement('input'); x.name = name; x.type = type; return x; };
    const choose = (name, values) => { const x = document.createElement('select'); x.name = name; values.forEach((v) => x.append(new Option(v, v))); return x; };
    const category = input('category');
    const priority = choose('priority', ['P1', 'P2', 'P3', 'P4']);
    const zone = choose('zone', ['urban', 'suburban', 'rural']);
    const channel = choose('channel', ['phone', 'walk-in', 'patrol', 'online', 'referral']);
    const address = input('location.address');
    const description = document.createElement('textarea');
    description.name = 'description';
    const contact = input('reporterContact');
    form.append(field('Station', station), field('Category', category), field('Priority', priority), field('Zone', zone), field('Channel', channel),
      field('Address', address), field('Description', description), field('Reporter contact', contact), submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {
        station: station.value, category: category.value, priority: priority.value, zone: zone.value, channel: channel.value,
        location: { address: address.value }, description: description.value, reporterContact: contact.value || null,
      };
      const response = await api('incidents', { method: 'POST', body });
      if (response.ok) {
        const created = await response.json();
        announce(`Reported ${created.id}`);
        state.etags.delete(created.station);
        closePanel();
        await poll();
        render();
      } else {
        showErrors(form, await response.json().catch(() => null));
      }
    });
    el('panel-body').replaceChildren(form);
    category.focus();
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
    const t = now();
    const all = watched().flatMap((s) => state.incidents.get(s) || []);
    const snapshot = new Map(all.map((i) => [i.id, { breached: leastLeft(i, t) < 0, level: Math.max(...CLOCKS.map((c) => i.clocks[c].level)) }]));
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
    if (name === 'station') { state.etags.clear(); poll().then(render); loadSummary(); }
    render();
  }

  function wire() {
    el('filter-station').addEventListener('change', (e) => setFilter('station', e.target.value));
    el('filter-priority').addEventListener('change', (e) => setFilter('priority', e.target.value));
    el('filter-status').addEventListener('change', (e) => setFilter('status', e.target.value));
    el('panel-close').addEventListener('click', closePanel);
    el('new-report').addEventListener('click', openReport);
    el('sound').addEventListener('click', () => {
      state.sound = !state.sound;
      el('sound').setAttribute('aria-pressed', String(state.sound));
      el('sound').textContent = `Sound: ${state.sound ? 'on' : 'off'}`;
      if (state.sound) tone([660]);
    });
    document.addEventListener('keydown', (e) => {
      if (e.target.closest('input, textarea, select') || e.altKey || e.ctrlKey || e.metaKey) return;
      const count = state.order.length;
      if (e.key === 'Escape') { closePanel(); return; }
      if (!count || wall) return;
      if (e.key === 'j' || e.key === 'ArrowDown') state.selected = Math.min(count - 1, state.selected + 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') state.selected = Math.max(0, state.selected - 1);
      else if (e.key === 'Enter') { openPanel(state.order[state.selected]); e.preventDefault(); return; }
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
      if (e.message !== 'signed out') showSignIn(`The API did not answer (${e.message}). Reload to try again.`);
      return;
    }
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
        el('stale').textContent = `Not updated for ${Math.round(quiet / 1000)} s: the server is not answering. Retrying every second; what is shown may be out of date.`;
      }
    }, 1000);
    if (wall) setInterval(() => { state.page += 1; render(); }, WALL_PAGE_MS);
  }

  start();
})();

// The README's phone pictures (docs/phone-*.zh-CN.png) from a live stack, for docs/screenshots.sh: the board as a
// 360 × 740 touch screen at device scale 3 in Chinese, as PhoneTests sees it, driven over the Chrome DevTools
// Protocol with Node's own WebSocket (node --experimental-websocket; no package to install).
// Usage: node --experimental-websocket docs/phone-shots.mjs CHROMIUM OFFICER_LINK CHIEF_LINK DISPATCHER_LINK
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [chromium, officer, chief, dispatcher] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'dispatch-phone-'));
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--lang=zh-CN', '--accept-lang=zh-CN',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: 'ignore' });
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

try {
  // Chromium writes the port it chose into the profile (port 0: no clash with anything else running).
  const portFile = join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 100 && !existsSync(portFile); i++) await sleep(100);
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  const target = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()).find((t) => t.type === 'page');
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  let next = 0;
  const waiting = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (waiting.has(message.id)) {
      waiting.get(message.id)(message);
      waiting.delete(message.id);
    }
  };
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    socket.send(JSON.stringify({ id, method, params }));
  });
  const evaluate = async (expression) => (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })).result.value;
  const until = async (expression, what) => {
    for (let i = 0; i < 150; i++) {
      if (await evaluate(expression)) return;
      await sleep(200);
    }
    throw new Error(`the page never showed ${what}`);
  };
  const open = async (link, ready) => {
    await send('Page.navigate', { url: 'about:blank' }); // a new document each time: the token rides in the fragment
    await sleep(300);
    await send('Page.navigate', { url: link });
    await until(ready, ready);
  };
  const shoot = async (name) => {
    await sleep(1200); // the once-a-second render and the fonts
    const { data } = await send('Page.captureScreenshot', { format: 'png' });
    writeFileSync(`docs/phone-${name}.zh-CN.png`, Buffer.from(data, 'base64'));
    console.log(`docs/phone-${name}.zh-CN.png`);
  };

  await send('Page.enable');
  await send('Emulation.setDeviceMetricsOverride', { width: 360, height: 740, deviceScaleFactor: 3, mobile: true });
  await send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });

  await open(officer, "!!document.querySelector('#rows button.next-step')");
  await shoot('officer');
  await open(chief, "[...document.querySelectorAll('#rows td.esc')].some((td) => td.textContent.includes('未签收'))");
  await shoot('chief');
  await evaluate("document.querySelector('#rows tr td').click()");
  await until("document.querySelectorAll('#panel .timeline li').length > 0", 'the incident panel');
  await shoot('incident');
  await open(dispatcher, "!!document.querySelector('#new-report:not([hidden])')");
  await evaluate("document.querySelector('#new-report').click()");
  await until("!!document.querySelector('#panel [name=category]')", 'the report form');
  await shoot('report');
  await evaluate("document.querySelector('#panel-close').click()");
  await evaluate("document.querySelector('#rows button[data-action=dispatch]').click()");
  await until("document.querySelectorAll('#panel .candidates li').length > 0", 'the candidates');
  await shoot('dispatch');
  await evaluate("document.querySelector('#panel-close').click()");
  await until("!!document.querySelector('#units:not([hidden]) tbody tr')", 'the unit panel');
  await evaluate("document.querySelector('#units').scrollIntoView()");
  await shoot('units');
  socket.close();
} finally {
  browser.kill();
  await sleep(500);
  rmSync(profile, { recursive: true, force: true });
}

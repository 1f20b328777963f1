// ppd's live page: the token once (from the URL fragment "#token=…" or the
// form), kept in sessionStorage; the node document from /api/v1/status
// every 2 s; the events WebSocket for the lanes and the jobs/s chart.
// SPDX-License-Identifier: LGPL-2.1-or-later
'use strict';

const KEY = 'ppd-http-token';
const HISTORY = 60;          // seconds on the chart
let token = null;
let socket = null;
let lastSeq = null;
const perSecond = new Array(HISTORY).fill(0);
let currentSecond = Math.floor(Date.now() / 1000);
const lanes = new Map();     // pid → {element, job, history}

function $(id) { return document.getElementById(id); }

function takeToken() {
  const match = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(KEY, match[1]);
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(KEY);
}

function askToken(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('token').value.trim());
  start();
});

function formatDuration(seconds) {
  seconds = Math.floor(seconds);
  if (seconds < 120) return seconds + ' s';
  if (seconds < 7200) return Math.floor(seconds / 60) + ' min';
  return Math.floor(seconds / 3600) + ' h';
}

function lane(pid) {
  let entry = lanes.get(pid);
  if (entry) return entry;
  const element = document.createElement('div');
  element.className = 'lane idle';
  element.innerHTML = '<span class="pid"></span><span class="job"></span><span class="history"></span>';
  element.querySelector('.pid').textContent = 'worker ' + pid;
  $('lanes').appendChild(element);
  entry = { element, job: null };
  lanes.set(pid, entry);
  return entry;
}

function showLane(entry, state, job, fn) {
  entry.job = job;
  entry.element.className = 'lane ' + state;
  entry.element.querySelector('.job').textContent =
    job ? ('job ' + job + ' · ' + fn + '()') : state;
}

function addHistory(entry, ok) {
  const history = entry.element.querySelector('.history');
  const mark = document.createElement('i');
  if (!ok) mark.className = 'failed';
  history.appendChild(mark);
  while (history.childNodes.length > 40) history.removeChild(history.firstChild);
}

function showStatus(status) {
  $('version').textContent = status.library_version;
  $('c-done').textContent = status.counters.jobs_done;
  $('c-failed').textContent = status.counters.jobs_failed;
  $('c-running').textContent = status.queue.running;
  $('c-queued').textContent = status.queue.queued;
  $('c-clients').textContent = status.clients.length;
  $('c-uptime').textContent = formatDuration(status.uptime);
  const alive = new Set();
  for (const worker of status.workers) {
    alive.add(worker.pid);
    showLane(lane(worker.pid), worker.state, worker.job, worker.function);
  }
  for (const [pid, entry] of lanes) {
    if (!alive.has(pid)) { entry.element.remove(); lanes.delete(pid); }
  }
}

async function refresh() {
  const response = await fetch('/api/v1/status', { headers: { Authorization: 'Bearer ' + token } });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    askToken('The token was refused.');
    return false;
  }
  showStatus(await response.json());
  return true;
}

function tick() {
  const now = Math.floor(Date.now() / 1000);
  while (currentSecond < now) {
    perSecond.shift();
    perSecond.push(0);
    currentSecond++;
  }
}

function drawChart() {
  tick();
  const canvas = $('chart');
  const context = canvas.getContext('2d');
  const max = Math.max(1, ...perSecond);
  const width = canvas.width / HISTORY;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#3584e4';
  perSecond.forEach((value, i) => {
    const height = (canvas.height - 14) * value / max;
    context.fillRect(i * width, canvas.height - height, width - 1, height);
  });
  context.fillStyle = '#5e5c64';
  context.fillText(max + ' jobs/s', 4, 10);
}

function onEvent(event) {
  if (lastSeq !== null && event.seq !== lastSeq + 1 && event.type !== 'hello')
    $('connection').textContent = 'events lost (' + lastSeq + ' → ' + event.seq + ')';
  lastSeq = event.seq;
  if (event.type === 'job-started' && event.worker) {
    showLane(lane(event.worker), 'busy', event.job, event.function);
  } else if (event.type === 'job-finished') {
    tick();
    perSecond[HISTORY - 1]++;
    for (const entry of lanes.values()) {
      if (entry.job === event.job) {
        showLane(entry, 'idle', null, null);
        addHistory(entry, event.state === 'done');
      }
    }
  }
}

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
  socket = new WebSocket(scheme + window.location.host + '/api/v1/events',
                         ['pp-glib.events.v1', 'bearer.' + token]);
  socket.onopen = () => { $('connection').textContent = 'live'; };
  socket.onmessage = (message) => onEvent(JSON.parse(message.data));
  socket.onclose = (close) => {
    $('connection').textContent = 'disconnected' + (close.reason ? ': ' + close.reason : '') +
      '; reconnecting…';
    lastSeq = null;
    setTimeout(connect, 2000);
  };
}

async function start() {
  token = takeToken();
  if (!token) { askToken(); return; }
  $('login').hidden = true;
  $('main').hidden = false;
  try {
    if (!(await refresh())) return;
  } catch (error) {
    $('connection').textContent = 'cannot reach ppd: ' + error;
  }
  connect();
  setInterval(() => refresh().catch(() => {}), 2000);
  setInterval(drawChart, 500);
  drawChart();
}

start();

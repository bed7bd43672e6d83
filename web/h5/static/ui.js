// Small DOM helpers. No innerHTML anywhere (the CSP requires Trusted Types).
import { t } from './i18n.js';

// h('button', {class: 'x', onclick: f, 'aria-label': '…'}, 'text', child…)
export function h(tag, props, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k in el && !svg && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const main = () => document.getElementById('app');

// show replaces the screen and moves focus to its heading for screen readers.
export function show(...nodes) {
  const m = main();
  if (!performance.getEntriesByName('fp-first-screen').length) performance.mark('fp-first-screen');
  m.replaceChildren(...nodes.flat().filter(Boolean));
  m.scrollTop = 0;
  window.scrollTo(0, 0);
  const head = m.querySelector('h2');
  if (head) {
    head.setAttribute('tabindex', '-1');
    head.focus({ preventScroll: true });
  }
}

export const button = (label, onclick, cls = 'btn primary', extra = {}) =>
  h('button', { type: 'button', class: cls, onclick, ...extra }, label);

export function spinner(label) {
  return h('div', { class: 'wait', role: 'status' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('p', { text: label }));
}

// screenOf builds a standard screen: heading, body nodes, action row.
export function screen(id, title, body, actions) {
  return h('section', { class: 'screen', id: `screen-${id}`, 'data-screen': id },
    h('h2', { text: title }), body, actions && actions.length ? h('div', { class: 'actions' }, actions) : null);
}

// closeAction is the way on from a last screen without a return address:
// window.close() works only for pages a script opened, so when the page is
// still there a moment later it says how to close it instead.
export function closeAction() {
  const note = h('p', { class: 'notice', id: 'close-note', role: 'status', hidden: true, text: t('closeNote') });
  const btn = button(t('close'), () => {
    window.close();
    setTimeout(() => { note.hidden = false; }, 400);
  }, 'btn secondary', { id: 'close' });
  return { note, btn };
}

export function errorScreen(code, onRetry, exit) {
  const actions = [];
  const c = closeAction();
  if (onRetry) actions.push(button(t('tryAgain'), onRetry, 'btn primary', { id: 'retry' }));
  if (exit) actions.push(button(t('back'), () => location.assign(exit), onRetry ? 'btn secondary' : 'btn primary', { id: 'exit' }));
  if (code === 'forbidden') actions.push(button(t('reload'), () => location.reload(), 'btn primary', { id: 'reload' }));
  // Every screen has a way on: without a retry or a return address, closing is it.
  const closing = actions.length === 0;
  if (closing) actions.push(c.btn);
  show(screen(`error-${code}`, t(`errTitle.${code}`),
    [h('div', { class: 'icon warn', 'aria-hidden': 'true' }, '!'), h('p', { class: 'lead', text: t(`errText.${code}`) }), closing ? c.note : null],
    actions));
}

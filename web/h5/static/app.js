// The H5 flow controller: asks the server where the session stands and shows
// that step. The server decides every transition; the page only renders.
import { t, has } from './i18n.js';
import { call, send, ApiError, pageMeta, fetchBlob } from './api.js';
import { h, show, button, screen, spinner, errorScreen, closeAction } from './ui.js';
import * as cam from './camera.js';
import { check } from './idnum.js';
import { cardStep } from './card.js';
import { livenessStep } from './liveness.js';

// ack: failure explained, per camera (environment/user); reported: the
// fallback taken for that camera is in the diagnostics the server keeps.
const state = { camera: null, ack: {}, reported: {} };
const never = () => new Promise(() => {});

// guard runs fn. A retryable failure (network, busy) shows a screen whose
// Try again button runs fn again, keeping whatever the caller captured; an
// expired link or a lost session ends the flow on its own screen.
async function guard(fn) {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code === 'token_invalid') {
        errorScreen('token_invalid', null, e.data.redirect);
        return never();
      }
      if (e.code === 'session_elsewhere') {
        // Another browser took the session over (this one was idle).
        errorScreen('session_elsewhere', () => location.reload());
        return never();
      }
      if (e.code === 'wrong_state') {
        // The session moved on (another tab, a double tap): show where it is now.
        reload();
        return never();
      }
      if (e.status === 403) {
        errorScreen('forbidden');
        return never();
      }
      if (!e.retryable) throw e;
      const kind = e.status === 0 ? 'network' : e.code === 'not_ready' ? 'not_ready' : 'busy';
      await new Promise((res) => errorScreen(kind, res));
      show(spinner(''));
    }
  }
}

async function reload() {
  show(spinner(''));
  const { view } = await guard(() => call('GET', 'state'));
  return route(view);
}

async function route(view) {
  document.body.dataset.step = view.step;
  switch (view.step) {
    case 'consent':
      return earlyCheck(view);
    case 'card_front':
    case 'card_back':
      return withCamera(view, 'environment', (live) =>
        cardStep(view.step === 'card_back' ? 'back' : 'front', live, guard).then(route));
    case 'confirm':
      return confirmScreen(view);
    case 'liveness':
      return withCamera(view, 'user', (live) => livenessStep(view, live, guard).then((r) => resultScreen(r.view, r.decision)));
    case 'done':
      return resultScreen(view, null);
    default:
      return errorScreen('busy', () => reload());
  }
}

const needsCamera = (p) => p.identity_input === 'ocr' || p.liveness_mode !== 'none';
// faceNeedsLiveCamera: the face step has no way round a camera that fails.
const faceNeedsLiveCamera = (p) => p.liveness_mode !== 'none' && !p.allow_video_fallback;
const firstFacing = (p) => (p.identity_input === 'ocr' ? 'environment' : 'user');

// earlyCheck runs the checks that need no tap before the start screen: a
// device that cannot finish the plan is told now, not after typing its
// details, and one that will need a fallback is told which.
async function earlyCheck(view) {
  const p = view.plan;
  if (!needsCamera(p)) return startScreen(view);
  const d = await cam.quickCheck();
  if (d.reason === 'ok') return startScreen(view);
  d.fallback = fallbackFor(view, 'user');
  if (faceNeedsLiveCamera(p)) {
    send('POST', 'diagnostics', d).catch(() => {}); // why this device stopped, for the business's results
    return cannotScreen(view, d);
  }
  return startScreen(view, d);
}

// cannotScreen: this device cannot complete the plan. It offers what the plan
// allows: the link as a QR code for another phone, checking the camera again
// (a permission can be changed in the settings), and the way back.
function cannotScreen(view, d) {
  const box = h('div', { class: 'handoff', id: 'handoff-box', hidden: true });
  const showQR = async () => {
    qrBtn.disabled = true;
    try {
      const blob = await fetchBlob('handoff');
      box.replaceChildren(h('img', { class: 'qr', id: 'handoff-qr', src: URL.createObjectURL(blob), alt: t('handoffAlt') }),
        h('p', { text: t('handoffText') }));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'http_409') return reload(); // started elsewhere meanwhile
      box.replaceChildren(h('p', { class: 'alert', role: 'alert', text: t('handoffFailed') }));
      qrBtn.disabled = false;
    }
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
  };
  const qrBtn = button(t('handoff'), showQR, 'btn primary', { id: 'handoff' });
  const retry = async () => {
    const again = await runPreflight(view, firstFacing(view.plan));
    return again.reason === 'ok' ? startScreen(view) : cannotScreen(view, again);
  };
  const actions = [qrBtn, button(t('tryAgain'), retry, 'btn secondary', { id: 'pf-retry' })];
  if (view.leave) actions.push(button(t('back'), () => location.assign(view.leave), 'btn secondary', { id: 'exit' }));
  show(screen('cannot', t('cannotTitle'), [
    h('div', { class: 'icon warn', 'aria-hidden': 'true' }, '!'),
    h('p', { class: 'lead', id: 'pf-reason', 'data-reason': d.reason, text: has(`pf.${d.reason}`) ? t(`pf.${d.reason}`) : t('pf.camera_error') }),
    d.webview ? h('p', { class: 'notice', id: 'pf-webview', text: t('pfWebView') }) : null,
    h('p', { text: t('cannotText') }),
    box,
  ], actions));
}

// runPreflight checks the camera (on a user gesture) and reports it.
async function runPreflight(view, facing) {
  show(screen('preflight-check', t('cameraCheckTitle'), spinner(t('checking'))));
  const d = await cam.preflight(facing);
  if (d.reason !== 'ok') d.fallback = fallbackFor(view, facing);
  state.camera = d;
  state.ack = {};
  state.reported = { [facing]: true };
  await send('POST', 'diagnostics', d).catch(() => {}); // diagnostics must not block the user
  return d;
}

function fallbackFor(view, facing) {
  if (facing === 'environment') return 'photo_upload';
  return view.plan.allow_video_fallback ? 'recorded_video' : 'none';
}

// withCamera makes sure the pre-flight ran, explains a failure once, and
// runs step(live) with live=false when the fallback is used.
async function withCamera(view, facing, step) {
  if (!state.camera) {
    await new Promise((resolve) => show(screen('resume', view.plan.title || t('appTitle'),
      h('p', { class: 'lead', text: t('resumeText') }), [button(t('continue'), resolve, 'btn primary', { id: 'resume' })])));
    await runPreflight(view, facing);
  }
  const d = state.camera;
  if (d.reason === 'ok') return step(true);
  if (!state.ack[facing] || fallbackFor(view, facing) === 'none') {
    const choice = await preflightScreen(view, facing, d);
    if (choice === 'retry') {
      await runPreflight(view, facing);
      return withCamera(view, facing, step);
    }
    state.ack[facing] = true;
  }
  if (!state.reported[facing]) {
    // The pre-flight ran for the other camera: record the fallback this step
    // takes (e.g. a recorded video at the face step), so results can say why.
    state.reported[facing] = true;
    send('POST', 'diagnostics', { ...d, fallback: fallbackFor(view, facing) }).catch(() => {});
  }
  return step(false);
}

function preflightScreen(view, facing, d) {
  return new Promise((resolve) => {
    const fb = fallbackFor(view, facing);
    const body = [h('div', { class: 'icon warn', 'aria-hidden': 'true' }, '!'),
      h('p', { class: 'lead', id: 'pf-reason', 'data-reason': d.reason, text: has(`pf.${d.reason}`) ? t(`pf.${d.reason}`) : t('pf.camera_error') })];
    if (d.webview) body.push(h('p', { class: 'notice', id: 'pf-webview', text: t('pfWebView') }));
    body.push(h('p', { text: fb === 'photo_upload' ? t('pfFallbackCard') : fb === 'recorded_video' ? t('pfFallbackVideo') : t('pfNoFallback') }));
    const actions = [];
    if (fb !== 'none') actions.push(button(fb === 'photo_upload' ? t('pfUsePhoto') : t('pfUseVideo'), () => resolve('fallback'), 'btn primary', { id: 'pf-fallback' }));
    actions.push(button(t('tryAgain'), () => resolve('retry'), fb === 'none' ? 'btn primary' : 'btn secondary', { id: 'pf-retry' }));
    show(screen('preflight', t('preflightTitle'), body, actions));
  });
}

function startScreen(view, early) {
  const p = view.plan;
  const steps = [];
  if (p.identity_input === 'ocr') steps.push(t('stepCard'));
  if (p.identity_input !== 'submitted') steps.push(t('stepConfirm'));
  if (p.liveness_mode !== 'none') steps.push(t('stepFace'));
  const consentText = p.default_consent ? t('consentDefault') : p.consent_text;
  const box = h('input', { type: 'checkbox', id: 'consent', 'aria-describedby': 'consent-text' });
  const err = h('p', { class: 'alert', id: 'consent-error', role: 'alert', hidden: true, text: t('consentNeeded') });
  const go = async () => {
    if (!box.checked) {
      err.hidden = false;
      box.focus();
      return;
    }
    if (needsCamera(p)) {
      const d = await runPreflight(view, firstFacing(p));
      // Stop before any typing when the face step could not be done here.
      if (d.reason !== 'ok' && faceNeedsLiveCamera(p)) return cannotScreen(view, d);
    }
    show(spinner(''));
    const res = await guard(() => call('POST', 'start'));
    return route(res.view);
  };
  box.addEventListener('change', () => { if (box.checked) err.hidden = true; });
  // With the title bar on, the heading says what the screen is about instead of repeating the title.
  const titleBar = pageMeta('fp-titlebar') === '1';
  const title = p.default_title ? t('appTitle') : p.title || t('appTitle');
  show(screen('start', titleBar ? t('stepsTitle') : title, [
    titleBar ? null : h('p', { class: 'sub', text: t('stepsTitle') }),
    h('ol', { class: 'steps numbered' }, steps.map((s) => h('li', { text: s }))),
    h('p', { class: 'time', text: t('stepsTime') }),
    early ? h('p', { class: 'notice', id: 'device-notice', 'data-reason': early.reason, text: t('deviceNoticeVideo') }) : null,
    h('div', { class: 'consent' },
      h('p', { id: 'consent-text', class: 'consent-text', text: consentText }),
      h('label', { class: 'check', for: 'consent' }, box, h('span', { text: t('consentLabel') })),
      err),
  ], [button(t('start'), go, 'btn primary', { id: 'start' })]));
}

function confirmScreen(view) {
  const manual = !view.name && !view.id_number;
  const name = h('input', { id: 'name', type: 'text', autocomplete: 'off', maxlength: '30', value: view.name || '', required: true, spellcheck: 'false' });
  const num = h('input', { id: 'id-number', type: 'text', autocomplete: 'off', maxlength: '18', value: view.id_number || '', required: true,
    inputmode: 'text', spellcheck: 'false', 'aria-describedby': 'id-hint' });
  const hint = h('p', { class: 'hint', id: 'id-hint', 'aria-live': 'polite' });
  const err = h('p', { class: 'alert', id: 'confirm-error', role: 'alert', hidden: true });
  const update = () => {
    const c = check(num.value);
    hint.dataset.state = c.state;
    hint.textContent = c.state === 'short' ? t('idNeedMore', { n: c.need }) : c.state === 'long' ? t('idTooLong')
      : c.state === 'chars' ? t('idBadChars') : c.state === 'checksum' ? t('idBadCheck') : t('idLooksOk');
  };
  num.addEventListener('input', update);
  update();
  const submit = async (ev) => {
    ev.preventDefault();
    if (!name.value.trim()) {
      err.hidden = false;
      err.textContent = t('nameNeeded');
      name.focus();
      return;
    }
    err.hidden = true;
    btn.disabled = true;
    try {
      const res = await guard(() => call('POST', 'confirm', { name: name.value.trim(), id_number: num.value.trim().toUpperCase() }));
      return route(res.view);
    } catch (e) {
      btn.disabled = false;
      if (e instanceof ApiError && e.code === 'invalid_identity') {
        err.hidden = false;
        err.textContent = t('invalidIdentity');
        num.focus();
        return;
      }
      throw e;
    }
  };
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'confirm' }, t('next'));
  show(screen('confirm', t('confirmTitle'), h('form', { onsubmit: submit, novalidate: true },
    h('p', { class: 'lead', text: manual ? t('confirmNoteManual') : t('confirmNote') }),
    h('label', { for: 'name', class: 'field' }, t('name')), name,
    h('label', { for: 'id-number', class: 'field' }, t('idNumber')), num, hint, err,
    h('div', { class: 'actions' }, btn))));
}

// compareSources are the plan's compare_source values that have their own words.
const compareSources = ['idcard', 'uploaded', 'registry', 'authority'];

// failText explains a reason code. source is the plan's compare_source: a
// mismatch names the photo the face was compared with (the business's own
// upload is not an ID photo).
function failText(code, source) {
  // Several failed checks come comma-separated; the first one explains best.
  // action_missing:blink → action_missing: the advice is per check
  const r = (code || '').toLowerCase().split(',')[0].trim().split(':')[0];
  const src = compareSources.includes(source) ? source : '';
  const bySource = (k) => (src && has(`failReason.${k}By.${src}`) ? t(`failReason.${k}By.${src}`) : t(`failReason.${k}`));
  if (has(`failReason.${r}`)) return t(`failReason.${r}`);
  // Reason codes of the verify service and the liveness engine.
  const known = {
    identity_changed: 'liveness', static_image: 'liveness', flat_motion: 'liveness', replay_loop: 'liveness',
    frames_duplicated: 'liveness', frames_spliced: 'liveness', flash_mismatch: 'liveness', nearfar_missing: 'liveness',
    nearfar_flat: 'liveness', spoof_print: 'liveness', spoof_screen: 'liveness', action_order: 'liveness', action_timing: 'liveness',
    capture_invalid: 'capture', capture_too_short: 'capture', challenge_used: 'capture', challenge_expired: 'timeout',
    face_quality: 'quality', compare_no_face: 'noface', face_mismatch: 'mismatch', identity_mismatch: 'identity',
  };
  let k = known[r];
  if (!k) {
    const rules = [
      [/reference_photo/, 'no_reference_photo'],
      [/name|id_?number|identity|idcard|id_card|card_info|mismatch_id/, 'identity'],
      [/card.*expired|expired_card/, 'expired'],
      [/many|multiple/, 'manyfaces'],
      [/no_?face/, 'noface'],
      [/match|similar|compare|not_same/, 'mismatch'],
      [/authority|unavailable|_error/, 'authority'],
      [/live|spoof|attack|action|photo|screen|mask|replay/, 'liveness'],
      [/quality|blur|dark|bright|occlu/, 'quality'],
      [/timeout|expire/, 'timeout'],
    ];
    for (const [re, key] of rules) if (re.test(r)) { k = key; break; }
  }
  if (k === 'mismatch' || k === 'no_reference_photo') return bySource(k);
  return t(`failReason.${k || 'default'}`);
}

function resultScreen(view, decision) {
  const passed = decision ? decision.passed : view.passed;
  const redirect = view.redirect || '';
  if (passed) {
    const c = closeAction();
    show(screen('passed', t('passedTitle'), [
      h('div', { class: 'icon ok', 'aria-hidden': 'true' }, '✓'),
      h('p', { class: 'lead', role: 'status', text: redirect ? t('returning') : t('closePage') }),
      redirect ? null : h('p', { id: 'next-step', text: t('passedNext') }),
      redirect ? null : c.note,
    ], redirect ? [button(t('returnNow'), () => location.assign(redirect), 'btn secondary', { id: 'return' })] : [c.btn]));
    if (redirect) setTimeout(() => location.assign(redirect), 1500);
    return;
  }
  // The server decides whether another try is allowed (max attempts,
  // invalidate_on_failure); the page never offers one it would refuse, nor
  // one that cannot change the outcome (retry_futile).
  const futile = !!view.retry_futile;
  const final = view.step === 'done' || futile;
  const left = decision ? decision.attempts_left : view.attempts_left;
  const reason = (decision && decision.reason) || view.reason;
  const source = view.plan && view.plan.compare_source;
  const actions = [];
  const c = closeAction();
  if (!final) actions.push(button(t('retry'), () => reload(), 'btn primary', { id: 'retry' }));
  else if (redirect) actions.push(button(t('back'), () => location.assign(redirect), 'btn primary', { id: 'return' }));
  else actions.push(c.btn);
  const tries = futile ? t('retryFutile') : final || left <= 0 ? t('noTriesLeft') : (left === 1 ? t('triesLeftOne') : t('triesLeft', { n: left }));
  show(screen('failed', t('failedTitle'), [
    h('div', { class: 'icon fail', 'aria-hidden': 'true' }, '✕'),
    h('p', { class: 'lead', id: 'fail-reason', 'data-reason': reason || '', text: failText(reason, source) }),
    h('p', { id: 'tries', text: tries }),
    final && redirect ? h('p', { text: t('returning') }) : null,
    // Only a finished session has been reported to the business.
    view.step === 'done' && !redirect ? h('p', { id: 'next-step', text: t('failedNext') }) : null,
    final && !redirect ? c.note : null,
  ], actions));
  if (final && redirect) setTimeout(() => location.assign(redirect), futile ? 8000 : 4000);
}

// PING_MS: while the page is visible it tells the server it is still here,
// so another browser cannot take the session over (the server allows that
// only after a minute of silence).
const PING_MS = 20000;

function heartbeat() {
  const timer = setInterval(() => {
    if (document.visibilityState !== 'visible') return;
    call('POST', 'ping').catch((e) => {
      if (!(e instanceof ApiError)) return;
      if (e.code === 'session_elsewhere') {
        clearInterval(timer);
        errorScreen('session_elsewhere', () => location.reload());
      } else if (e.status === 410 || e.status === 401 || e.status === 403) {
        clearInterval(timer); // the session ended or this page expired: nothing to keep
      }
    });
  }, PING_MS);
}

function boot() {
  if (pageMeta('fp-screen') === 'error') {
    const code = pageMeta('fp-error') || 'token_invalid';
    // Busy may pass; a session held elsewhere may be free in a minute.
    const retry = code === 'busy' || code === 'session_elsewhere' ? () => location.reload() : null;
    errorScreen(code, retry, pageMeta('fp-exit'));
    return;
  }
  heartbeat();
  reload().catch((e) => {
    console.error(e);
    errorScreen('busy', () => location.reload());
  });
}

// A blocked resource is a bug in the page: say so where tests and developers look.
document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation:', e.violatedDirective, e.blockedURI));
window.addEventListener('unhandledrejection', (e) => {
  console.error('faceprint:', e.reason);
  errorScreen('busy', () => location.reload());
});
boot();
